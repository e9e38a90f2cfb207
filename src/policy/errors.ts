// Policy errors are values with stable codes, like the engine's: the CLI and HTTP layers branch on `code`.
// A compile error of an English policy also says where (line, column) and which sentence form was meant.

export type PolicyErrorCode = 'E_POLICY_COMPILE' | 'E_POLICY_INPUT';

export interface PolicyError {
  /** One short sentence for a person. */
  error: string;
  code: PolicyErrorCode;
  /** What exactly is wrong and where (a YAML path, or the sentence). */
  detail: string;
  /** 1-based line and column of the offending sentence or YAML node, when known. */
  line?: number;
  column?: number;
  /** For an unknown English sentence: the sentence form it is closest to. */
  closest?: string;
}

export type PolicyResult<T> = { ok: true; value: T } | { ok: false; errors: PolicyError[] };

export function compileError(detail: string, where: { line?: number; column?: number } = {}): PolicyError {
  return { error: 'policy does not compile', code: 'E_POLICY_COMPILE', detail, ...where };
}
