// Errors are values with stable codes, so callers (CLI, HTTP) branch on `code` and render {error, code, detail}.

export type EngineErrorCode =
  | 'E_REQUEST_INVALID'
  | 'E_ENVELOPE_INVALID'
  | 'E_CHUNK_INVALID'
  | 'E_CATALOG_INVALID'
  | 'E_RULESET_INVALID'
  | 'E_RULESET_NOT_MONOTONE'
  | 'E_INPUT_TOO_LARGE';

export interface EngineError {
  /** One short sentence for a person. */
  error: string;
  code: EngineErrorCode;
  /** What exactly is wrong and where (a JSON path when there is one). */
  detail: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: EngineError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T>(code: EngineErrorCode, error: string, detail: string): Result<T> {
  return { ok: false, error: { error, code, detail } };
}

/** Thrown only for built-in data that fails to compile: a bug in this repository, not bad input. */
export class EngineDataError extends Error {
  constructor(readonly engineError: EngineError) {
    super(`${engineError.code}: ${engineError.error} (${engineError.detail})`);
    this.name = 'EngineDataError';
  }
}

export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new EngineDataError(r.error);
  return r.value;
}
