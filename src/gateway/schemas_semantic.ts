// The JSON schemas of the semantic-governance admin routes (issue 14): instruction sets and channel
// signing keys. Control-plane routes, all of them.

import { errorBody } from './schemas.js';

const errors = { '4xx': errorBody, '5xx': errorBody } as const;
const bearer = [{ bearer: [] }];
const agent = { type: 'string', minLength: 1, maxLength: 200 } as const;
const setHash = { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' } as const;
const note = { type: 'string', maxLength: 4096 } as const;
const setParams = {
  type: 'object',
  required: ['agent', 'hash'],
  additionalProperties: false,
  properties: { agent, hash: setHash },
} as const;

export const instructionListSchema = {
  summary: 'List kept instruction sets (approved, pending, revoked), without their content (admin, auditor)',
  tags: ['admin'],
  security: bearer,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { agent, status: { type: 'string', enum: ['approved', 'pending', 'revoked'] } },
  },
  response: errors,
} as const;

export const instructionShowSchema = {
  summary:
    "One instruction set with its content and its diff against the agent's latest approved set (admin, auditor)",
  tags: ['admin'],
  security: bearer,
  params: setParams,
  response: errors,
} as const;

export const instructionRegisterSchema = {
  summary: 'Register and approve an instruction set for an agent from its content (admin)',
  tags: ['admin'],
  security: bearer,
  body: {
    type: 'object',
    required: ['agent', 'surface', 'system', 'tools'],
    additionalProperties: false,
    properties: {
      agent,
      surface: { type: 'string', enum: ['openai', 'mcp'] },
      system: { type: 'array', maxItems: 256 },
      tools: { type: 'array', maxItems: 1024 },
      note,
    },
  },
  response: errors,
} as const;

export const instructionDecideSchema = (verb: 'approve' | 'revoke') =>
  ({
    summary:
      verb === 'approve'
        ? 'Approve a kept (pending or revoked) instruction set: the agent is bound to its approved sets (admin)'
        : 'Revoke an instruction set: requests carrying it are refused (admin)',
    tags: ['admin'],
    security: bearer,
    params: setParams,
    body: { type: 'object', additionalProperties: false, properties: { note } },
    response: errors,
  }) as const;

export const channelSigningSetSchema = {
  summary:
    'Make a channel signed: an Ed25519 public key or an HMAC-SHA256 secret (sealed, never shown again) verifies each chunk (admin)',
  tags: ['admin'],
  security: bearer,
  params: {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
  },
  body: {
    type: 'object',
    required: ['alg'],
    additionalProperties: false,
    properties: {
      alg: { type: 'string', enum: ['ed25519', 'hmac-sha256'] },
      public_key: { type: 'string', minLength: 1, maxLength: 4096 },
      secret: { type: 'string', minLength: 1, maxLength: 1024 },
    },
  },
  response: errors,
} as const;

export const channelSigningGetSchema = {
  summary:
    "A channel's signing configuration: algorithm and key fingerprint, never a secret (admin, auditor)",
  tags: ['admin'],
  security: bearer,
  params: channelSigningSetSchema.params,
  response: errors,
} as const;
