// The JSON Schema (draft 2020-12) of the YAML policy document, published for editors and CI. zod is not
// installed in this repository, so it is written by hand; test/policy checks it names exactly the fields
// the loader (document.ts) accepts.

const tools = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: 128 },
  maxItems: 256,
  description: 'Tool names (compared after NFKC, case and homoglyph folding) or "*" for every tool.',
} as const;

const days = {
  oneOf: [
    { enum: ['weekdays', 'weekends', 'every day', 'daily'] },
    {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^[A-Za-z]{3}' },
    },
  ],
} as const;

const dataType = { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]*$' } as const;

export const POLICY_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://carapace.dev/schemas/policy-1.json',
  title: 'Carapace policy',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.:@/-]{1,128}$' },
    version: { type: ['string', 'number'] },
    description: { type: 'string' },
    extends: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    tools: {
      type: 'object',
      additionalProperties: false,
      properties: { allow: tools, deny: tools, review: tools },
    },
    grants: {
      type: 'object',
      additionalProperties: false,
      properties: {
        agents: { type: 'object', additionalProperties: tools },
        roles: { type: 'object', additionalProperties: tools },
      },
    },
    arguments: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tools', 'arg'],
        properties: {
          tools,
          arg: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$' },
          equals: {},
          minimum: { type: 'number' },
          maximum: { type: 'number' },
          pattern: { type: 'string', maxLength: 256 },
          path_prefix: { type: 'string', pattern: '^/' },
        },
        oneOf: [
          { required: ['equals'] },
          { anyOf: [{ required: ['minimum'] }, { required: ['maximum'] }] },
          { required: ['pattern'] },
          { required: ['path_prefix'] },
        ],
      },
    },
    domains: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tools', 'allow'],
        properties: { tools, allow: { type: 'array', minItems: 1, items: { type: 'string' } } },
      },
    },
    windows: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tools', 'zone', 'days', 'start', 'end'],
        properties: {
          tools,
          zone: { type: 'string', description: 'IANA time zone, e.g. America/New_York' },
          days,
          start: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
          end: { type: 'string', pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$' },
        },
      },
    },
    rate_limits: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tools', 'max_calls', 'window_seconds', 'per'],
        properties: {
          tools,
          max_calls: { type: 'integer', minimum: 0 },
          window_seconds: { type: 'integer', minimum: 1, maximum: 31622400 },
          per: { enum: ['agent', 'tool', 'global'] },
        },
      },
    },
    budgets: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tools', 'max_cost', 'period_seconds', 'cost'],
        properties: {
          tools,
          max_cost: { type: 'number', minimum: 0 },
          period_seconds: { type: 'integer', minimum: 1, maximum: 31622400 },
          cost: {
            oneOf: [
              {
                type: 'object',
                additionalProperties: false,
                required: ['per_call'],
                properties: { per_call: { type: 'number', minimum: 0 } },
              },
              {
                type: 'object',
                additionalProperties: false,
                required: ['argument'],
                properties: { argument: { type: 'string' } },
              },
            ],
          },
        },
      },
    },
    data: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tools', 'direction', 'types', 'action'],
        properties: {
          tools,
          direction: { enum: ['input', 'output'] },
          types: { type: 'array', minItems: 1, items: dataType },
          action: { enum: ['redact', 'deny', 'allow'] },
        },
      },
    },
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tools'],
        properties: {
          tools,
          schema: { description: 'The engine JSON Schema subset (type, properties, required, …).' },
          max_bytes: { type: 'integer', minimum: 1 },
        },
        anyOf: [{ required: ['schema'] }, { required: ['max_bytes'] }],
      },
    },
    min_tier: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tools', 'tier'],
        properties: { tools, tier: { enum: ['T0', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7'] } },
      },
    },
  },
} as const;
