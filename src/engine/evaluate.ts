// evaluate(): the whole engine path from raw input to a record, for callers holding untrusted JSON.

import { DEFAULT_ENGINE } from './builtin/index.js';
import { type DecisionRecord, type Engine, decide } from './decide.js';
import type { Result } from './errors.js';
import { parseDecisionRequest } from './request.js';

/** Parse a raw request and decide it: an invalid request is an error value, never an exception. */
export function evaluate(raw: unknown, engine: Engine = DEFAULT_ENGINE): Result<DecisionRecord> {
  const request = parseDecisionRequest(raw);
  if (!request.ok) return request;
  return { ok: true, value: decide(request.value, engine) };
}
