// The JSON schemas of every gateway route, declared with the route so Fastify validates before a
// handler runs and the OpenAPI document describes exactly what is enforced. The envelope is not here.

import { PRINCIPAL_ROLES, REVIEW_STATUSES, TRUST_LEVELS, TRUST_TIERS } from '../store/store.js';
import { LIMITS } from '../engine/index.js';
import { MAX_TOKEN_CHARS } from '../tokens/index.js';
import { REDACTABLE_TYPES } from './inspection.js';

/** Channel and principal names. */
export const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Session ids an ingesting caller may name. */
export const SESSION = /^[A-Za-z0-9._:-]{1,128}$/;
export const MAX_CONTENT_CHARS = 256 * 1024;
export const MAX_NOTE_CHARS = 4096;
export const MAX_AGENT_ID_CHARS = 200;

const name = { type: 'string', minLength: 1, maxLength: 64, pattern: NAME.source } as const;

/** Every error the gateway answers with. */
export const errorBody = {
  type: 'object',
  required: ['error', 'code', 'detail'],
  additionalProperties: false,
  properties: {
    error: { type: 'string', description: 'what went wrong, for a person' },
    code: { type: 'string', description: 'stable code to branch on, e.g. E_REQUEST_INVALID' },
    detail: { type: 'string', description: 'which field or value, and why' },
  },
} as const;

const errors = { '4xx': errorBody, '5xx': errorBody } as const;

/** Routes that take a key; the OpenAPI document marks the rest `security: []`. */
const bearer = [{ bearer: [] }];
const open: never[] = [];

export const channelCreateSchema = {
  summary: 'Create an ingestion channel with a fixed trust level (admin)',
  tags: ['admin'],
  security: bearer,
  body: {
    type: 'object',
    required: ['name', 'trust'],
    additionalProperties: false,
    properties: { name, trust: { type: 'string', enum: [...TRUST_LEVELS] } },
  },
  response: errors,
} as const;

export const principalCreateSchema = {
  summary: 'Create a principal; its API key is in this response only (admin)',
  tags: ['admin'],
  security: bearer,
  body: {
    type: 'object',
    required: ['name', 'role'],
    additionalProperties: false,
    properties: {
      name,
      role: { type: 'string', enum: [...PRINCIPAL_ROLES] },
      channel: name,
      tier: { type: 'string', enum: [...TRUST_TIERS], description: 'certified trust tier (default T0)' },
    },
  },
  response: errors,
} as const;

export const principalTierSchema = {
  summary: "Set a principal's certified trust tier (admin)",
  tags: ['admin'],
  security: bearer,
  params: {
    type: 'object',
    required: ['id'],
    additionalProperties: false,
    properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  body: {
    type: 'object',
    required: ['tier'],
    additionalProperties: false,
    properties: { tier: { type: 'string', enum: [...TRUST_TIERS] } },
  },
  response: errors,
} as const;

export const policyGetSchema = {
  summary:
    'The policy in force: compiled rules with their sources, hash and load history (admin, auditor, approver)',
  tags: ['policy'],
  security: bearer,
  response: errors,
} as const;

export const policyReloadSchema = {
  summary: 'Compile the policy file again; it replaces the policy in force only if it compiles (admin)',
  tags: ['policy'],
  security: bearer,
  // No body, or an empty object.
  body: { type: ['object', 'null'], additionalProperties: false, properties: {} },
  response: errors,
} as const;

export const principalListSchema = {
  summary: 'List principals, without key hashes (admin, auditor)',
  tags: ['admin'],
  security: bearer,
  response: errors,
} as const;

export const ingestSchema = {
  summary: 'Ingest content through the caller’s channel (agent, service)',
  tags: ['ingest'],
  security: bearer,
  body: {
    type: 'object',
    required: ['content'],
    additionalProperties: false,
    properties: {
      content: { type: 'string', minLength: 1, maxLength: MAX_CONTENT_CHARS },
      session: { type: 'string', minLength: 1, maxLength: 128, pattern: SESSION.source },
      agent: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_AGENT_ID_CHARS,
        description: 'the agent a service showed the content to (services only)',
      },
    },
  },
  response: errors,
} as const;

/** Decoded image bytes accepted by /v1/ingest/image, and the body limit that leaves room for base64. */
export const MAX_IMAGE_BYTES = 6 * 1024 * 1024;
export const IMAGE_BODY_LIMIT_BYTES = 9 * 1024 * 1024;

export const ingestImageSchema = {
  summary: 'Ingest an image through the caller’s channel: OCR, scan, always untrusted (agent, service)',
  tags: ['ingest'],
  security: bearer,
  body: {
    type: 'object',
    required: ['image_base64', 'media_type'],
    additionalProperties: false,
    properties: {
      image_base64: { type: 'string', minLength: 4, maxLength: Math.ceil(MAX_IMAGE_BYTES / 3) * 4 },
      media_type: {
        type: 'string',
        enum: ['image/png', 'image/jpeg', 'image/gif', 'image/tiff', 'image/bmp', 'image/webp'],
      },
      session: { type: 'string', minLength: 1, maxLength: 128, pattern: SESSION.source },
      agent: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_AGENT_ID_CHARS,
        description: 'the agent a service showed the image to (services only)',
      },
    },
  },
  response: errors,
} as const;

/** `{envelope, _lobstertrap?}`. The envelope's own rules live in the engine (src/engine/envelope.ts). */
const decisionRequest = {
  type: 'object',
  required: ['envelope'],
  additionalProperties: false,
  properties: {
    envelope: {
      type: 'object',
      description:
        'the IntentEnvelope {intent, tool, args, target?, justification?, source_signals?, session?, agent_confidence?, estimated_blast_radius?}; validated by the engine (E_ENVELOPE_INVALID)',
    },
    _lobstertrap: {
      description: 'the `_lobstertrap` block from an upstream Lobster Trap, folded as a signal',
    },
  },
} as const;

export const decideSchema = {
  summary: 'Decide a proposed action without recording or acting on it (agent)',
  tags: ['actions'],
  security: bearer,
  body: decisionRequest,
  response: errors,
} as const;

export const actionSchema = {
  summary: 'Decide and record a proposed action; ALLOW mints a token, HUMAN_REVIEW opens a review (agent)',
  tags: ['actions'],
  security: bearer,
  body: decisionRequest,
  response: errors,
} as const;

/** {token, tool, args, session?}: a token presented for exactly the call it was minted for. */
function redemptionSchema(summary: string, args: Record<string, unknown>) {
  return {
    summary,
    tags: ['actions'],
    security: bearer,
    body: {
      type: 'object',
      required: ['token', 'tool', 'args'],
      additionalProperties: false,
      properties: {
        token: { type: 'string', minLength: 1, maxLength: MAX_TOKEN_CHARS },
        tool: { type: 'string', minLength: 1, maxLength: LIMITS.toolName },
        args: { ...args, description: 'exactly the arguments the token was minted for' },
        session: {
          type: 'string',
          minLength: 1,
          maxLength: 128,
          pattern: SESSION.source,
          description:
            'the session the envelope named: the output joins it (an approved review’s token joins the review’s own)',
        },
      },
    },
    response: errors,
  } as const;
}

export const executeSchema = redemptionSchema(
  'Redeem an execution token once and run the bound action in the gateway’s executor (agent)',
  {},
);

export const redeemSchema = redemptionSchema(
  'Redeem an execution token once for a tool the agent runs itself, then POST its result to /v1/results (agent)',
  { type: 'object' },
);

/** The result of a tool the agent ran may be as large as an output the gateway inspects, plus room. */
export const RESULTS_BODY_LIMIT_BYTES = 9 * 1024 * 1024;
export const MAX_ERROR_MESSAGE_CHARS = 4096;

export const resultsSchema = {
  summary:
    'The one result of a tool the agent redeemed at /v1/redeem: its output (inspected, redacted, recorded) or its error (agent)',
  tags: ['actions'],
  security: bearer,
  body: {
    type: 'object',
    required: ['jti'],
    additionalProperties: false,
    properties: {
      jti: { type: 'string', maxLength: 128, pattern: '^[A-Za-z0-9_-]{16,128}$' },
      output: { description: 'what the tool returned, as JSON; give output or error' },
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', minLength: 1, maxLength: 64 },
          message: { type: 'string', maxLength: MAX_ERROR_MESSAGE_CHARS },
        },
      },
      redact: {
        type: 'array',
        maxItems: 64,
        items: { type: 'string', enum: [...REDACTABLE_TYPES] },
        description: 'data types to redact beyond the defaults and the policy’s',
      },
    },
  },
  response: errors,
} as const;

export const reviewListSchema = {
  summary: 'List reviews, optionally by status (approver, admin, auditor)',
  tags: ['reviews'],
  security: bearer,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { status: { type: 'string', enum: [...REVIEW_STATUSES] } },
  },
  response: errors,
} as const;

const reviewParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', description: 'rev_ and 32 hex digits' } },
} as const;

export const reviewGetSchema = {
  summary: 'One review; its agent gets a token once it is approved',
  tags: ['reviews'],
  security: bearer,
  params: reviewParams,
  response: errors,
} as const;

export function reviewDecisionSchema(verb: 'approve' | 'reject') {
  return {
    summary:
      verb === 'approve'
        ? 'Approve a review after re-evaluating it (approver)'
        : 'Reject a review, with a note (approver)',
    tags: ['reviews'],
    security: bearer,
    params: reviewParams,
    body: {
      // No body is an approval without a note.
      type: ['object', 'null'],
      ...(verb === 'reject' ? { required: ['note'] } : {}),
      additionalProperties: false,
      properties: { note: { type: 'string', minLength: 1, maxLength: MAX_NOTE_CHARS } },
    },
    response: errors,
  } as const;
}

export const openapiSchema = {
  summary: 'This OpenAPI document',
  tags: ['meta'],
  security: open,
} as const;

export const metricsSchema = {
  summary: 'Prometheus metrics; without a key on loopback only (elsewhere admin or auditor)',
  tags: ['meta'],
  security: open,
} as const;

export const healthSchema = { summary: 'Liveness', tags: ['meta'], security: open } as const;
export const readySchema = {
  summary: 'Readiness: the audit log is open and accepts appends',
  tags: ['meta'],
  security: open,
} as const;

// ---------------------------------------------------------------------------------------------- console

/** An audit seq in a path or query string (decimal, no leading zeros). */
export const SEQ = /^(0|[1-9][0-9]{0,15})$/;
/** The last seq a client saw; -1 for none (start from the first entry). */
export const AFTER_SEQ = /^(-1|0|[1-9][0-9]{0,15})$/;
/** A page size: 1 to 200. */
export const PAGE_LIMIT = /^([1-9]|[1-9][0-9]|1[0-9][0-9]|200)$/;
const seqText = { type: 'string', pattern: SEQ.source, maxLength: 16 } as const;
const seqParams = {
  type: 'object',
  required: ['seq'],
  additionalProperties: false,
  properties: { seq: { ...seqText, description: 'the audit entry’s seq' } },
} as const;
const page = {
  before: { ...seqText, description: 'only entries with a smaller seq (default: the newest)' },
  limit: { type: 'string', pattern: PAGE_LIMIT.source, description: 'page size, 1 to 200 (default 50)' },
} as const;
const consoleReaders = 'admin, auditor, approver';

export const meSchema = {
  summary: 'The caller: its principal (without key hash) and role (any role)',
  tags: ['console'],
  security: bearer,
  response: errors,
} as const;

export const eventsSchema = {
  summary: `Live audit events as server-sent events, resuming after Last-Event-ID or ?after (${consoleReaders})`,
  description:
    'Each event is `event: audit`, `id: <seq>`, data {seq, ts, kind, hash, summary}. Without Last-Event-ID or ?after, only new entries are sent; after=-1 starts from the first entry.',
  tags: ['console'],
  security: bearer,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { after: { type: 'string', pattern: AFTER_SEQ.source, maxLength: 17 } },
  },
  headers: {
    type: 'object',
    properties: { 'last-event-id': { type: 'string', pattern: AFTER_SEQ.source, maxLength: 17 } },
  },
  response: errors,
} as const;

export const decisionListSchema = {
  summary: `Decisions from the audit log, newest first, filtered by agent, tool, decision and rule (${consoleReaders})`,
  tags: ['console'],
  security: bearer,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      agent: { type: 'string', minLength: 1, maxLength: MAX_AGENT_ID_CHARS },
      tool: { type: 'string', minLength: 1, maxLength: LIMITS.toolName },
      decision: { type: 'string', enum: ['ALLOW', 'HUMAN_REVIEW', 'DENY', 'QUARANTINE'] },
      rule: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' },
      hash: {
        type: 'string',
        pattern: '^sha256:[0-9a-f]{64}$',
        description: 'the decision entry’s hash (a review’s decision_record_hash)',
      },
      ...page,
    },
  },
  response: errors,
} as const;

export const decisionGetSchema = {
  summary: `One decision with its envelope, inputs, cited chunks, policy rules, conversation-layer verdict and related entries (${consoleReaders})`,
  tags: ['console'],
  security: bearer,
  params: seqParams,
  response: errors,
} as const;

export const auditEntriesSchema = {
  summary: 'Audit entries, newest first; a payload over 16 KiB is left out of the page (admin, auditor)',
  tags: ['audit'],
  security: bearer,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { ...page, kind: { type: 'string', pattern: '^[a-z][a-z0-9_.-]{0,63}$' } },
  },
  response: errors,
} as const;

export const auditEntrySchema = {
  summary: 'One audit entry as stored (admin, auditor)',
  tags: ['audit'],
  security: bearer,
  params: seqParams,
  response: errors,
} as const;

export const receiptSchema = {
  summary: `A receipt for one entry (carapace.receipt/v1, as carapace audit proof writes it) as a download (${consoleReaders})`,
  tags: ['audit'],
  security: bearer,
  params: seqParams,
  response: errors,
} as const;

export const checkpointListSchema = {
  summary: 'Signed checkpoints, newest first (admin, auditor)',
  tags: ['audit'],
  security: bearer,
  querystring: { type: 'object', additionalProperties: false, properties: page },
  response: errors,
} as const;

export const auditVerifySchema = {
  summary: 'Verify the whole log now, as carapace audit verify does (admin, auditor)',
  tags: ['audit'],
  security: bearer,
  body: { type: ['object', 'null'], additionalProperties: false, properties: {} },
  response: errors,
} as const;

export const auditKeySchema = {
  summary: `The log’s origin and C2SP verifier key, for checking receipts (${consoleReaders})`,
  tags: ['audit'],
  security: bearer,
  response: errors,
} as const;

export const auditWitnessSchema = {
  summary: 'Whether every audit checkpoint so far is cosigned by each configured witness (admin, auditor)',
  tags: ['audit'],
  security: bearer,
  response: errors,
} as const;

export const channelListSchema = {
  summary: 'List ingestion channels with their trust (admin, auditor)',
  tags: ['admin'],
  security: bearer,
  response: errors,
} as const;

export const demoGetSchema = {
  summary: `The data hall the gateway runs with (or none) and the 03:14 scenario’s current or last run (${consoleReaders})`,
  tags: ['demo'],
  security: bearer,
  response: errors,
} as const;

export const demoRunSchema = {
  summary: 'Run the 03:14 scenario against the gateway’s data hall; one run at a time (admin)',
  tags: ['demo'],
  security: bearer,
  body: {
    type: 'object',
    required: ['gate'],
    additionalProperties: false,
    properties: { gate: { type: 'string', enum: ['off', 'on', 'both'] } },
  },
  response: errors,
} as const;

export const demoStreamSchema = {
  summary: `The scenario’s steps and the canaries’ reachability grid as server-sent events (${consoleReaders})`,
  tags: ['demo'],
  security: bearer,
  response: errors,
} as const;
