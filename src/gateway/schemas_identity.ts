// Route schemas of identity and behaviour: DPoP access tokens, delegation, revocation, trust and
// breakers. Validated before the handler runs; the handlers check again without them.

import { TRUST_TIERS } from '../store/store.js';
import { errorBody, NAME } from './schemas.js';

const errors = { '4xx': errorBody, '5xx': errorBody } as const;
const bearer = [{ bearer: [] }];
/** A POST that takes no body: none, null or `{}`. */
const noBody = { type: ['object', 'null'], additionalProperties: false, properties: {} } as const;
const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

/** The longest access-token lifetime any tier allows, in seconds (T7: 4 h). */
export const MAX_ACCESS_TOKEN_SECONDS = 4 * 3600;

export const tokenSchema = {
  summary:
    'Obtain a DPoP-bound access token: API key in Authorization, proof in DPoP; lifetime capped by tier (agent)',
  tags: ['identity'],
  security: bearer,
  body: {
    // No body is a token of the longest lifetime the tier allows.
    type: ['object', 'null'],
    additionalProperties: false,
    properties: { expires_in: { type: 'integer', minimum: 1, maximum: MAX_ACCESS_TOKEN_SECONDS } },
  },
  response: errors,
} as const;

export const meSchema = {
  summary: 'The calling agent: its tier and why, its scope and parent, its breaker (agent)',
  tags: ['identity'],
  security: bearer,
  response: errors,
} as const;

export const delegateSchema = {
  summary:
    "Delegate a subset of the caller's tools to a new child agent; its key is in this response only (agent)",
  tags: ['identity'],
  security: bearer,
  body: {
    type: 'object',
    required: ['name', 'tools'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 64, pattern: NAME.source },
      tools: {
        type: 'array',
        minItems: 1,
        maxItems: 256,
        items: { type: 'string', minLength: 1, maxLength: 256 },
      },
      tier: { type: 'string', enum: [...TRUST_TIERS] },
    },
  },
  response: errors,
} as const;

export const revokeSchema = (who: string) =>
  ({
    summary: `Revoke a principal and every delegate below it (${who})`,
    tags: ['identity'],
    security: bearer,
    params: idParams,
    body: noBody,
    response: errors,
  }) as const;

export const dpopRequirementSchema = {
  summary: 'Require (or stop requiring) DPoP of a principal (admin)',
  tags: ['identity'],
  security: bearer,
  params: idParams,
  body: {
    type: 'object',
    required: ['required'],
    additionalProperties: false,
    properties: { required: { type: 'boolean' } },
  },
  response: errors,
} as const;

export const trustGetSchema = {
  summary:
    "An agent's trust: effective tier and why, score, anti-gaming state, breaker (admin, auditor, approver)",
  tags: ['identity'],
  security: bearer,
  params: idParams,
  response: errors,
} as const;

export const agentAdminSchema = (summary: string) =>
  ({
    summary,
    tags: ['identity'],
    security: bearer,
    params: idParams,
    body: noBody,
    response: errors,
  }) as const;

export const agentSchema = (summary: string) =>
  ({ summary, tags: ['identity'], security: bearer, response: errors }) as const;

export const attestationSchema = {
  summary:
    "Appraise the caller's TEE evidence bound to its DPoP key and a nonce from this gateway; a verified one lets T5+ count (agent, DPoP)",
  tags: ['identity'],
  security: bearer,
  body: {
    type: 'object',
    required: ['kind', 'evidence', 'nonce'],
    additionalProperties: false,
    properties: {
      kind: { type: 'string', enum: ['sev-snp', 'sgx', 'tdx', 'nitro'] },
      evidence: { type: 'string', minLength: 1, maxLength: 90_000, description: 'base64' },
      nonce: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      collateral: { type: 'object', description: 'SGX/TDX: the DCAP collateral' },
      certs: { type: 'array', maxItems: 4, items: { type: 'string', minLength: 1, maxLength: 24_000 } },
    },
  },
  response: errors,
} as const;
