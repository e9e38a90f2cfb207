// A tool catalog that is not the data hall's, for the framework tests: a support desk's tools, with
// intents and blast radii an operator would give them.

export const SUPPORT_DESK_CATALOG = {
  name: 'support-desk',
  entities: [],
  tools: [
    {
      name: 'lookup_order',
      intent: 'observe',
      radius: 'none',
      args: {
        type: 'object',
        required: ['order_id'],
        additionalProperties: false,
        properties: { order_id: { type: 'string', maxLength: 64 } },
      },
    },
    {
      name: 'search_kb',
      intent: 'observe',
      radius: 'none',
      args: {
        type: 'object',
        required: ['input'],
        additionalProperties: false,
        properties: { input: { type: 'string', maxLength: 1024 } },
      },
    },
    {
      name: 'refund_order',
      intent: 'remediate_reversible',
      radius: 'workload',
      args: {
        type: 'object',
        required: ['order_id', 'amount'],
        additionalProperties: false,
        properties: { order_id: { type: 'string' }, amount: { type: 'number', minimum: 0, maximum: 500 } },
      },
    },
    {
      name: 'close_account',
      intent: 'remediate_destructive',
      radius: 'node',
      args: {
        type: 'object',
        required: ['customer_id'],
        additionalProperties: false,
        properties: { customer_id: { type: 'string' } },
      },
    },
  ],
};

export const SUPPORT_CHANNELS = { 'support-console': 'trusted', 'email-inbox': 'untrusted' } as const;

export const ORDER = {
  order_id: 'o-1001',
  status: 'delivered',
  customer: 'c-77',
  contact: 'maria.rossi@example.com',
  card: '4111 1111 1111 1111',
};
