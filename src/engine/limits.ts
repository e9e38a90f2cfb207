// Every size the engine accepts is bounded here, so a hostile input costs a bounded amount of work.

export const LIMITS = {
  toolName: 128,
  id: 256,
  target: 256,
  session: 128,
  justification: 4096,
  sourceSignals: 64,
  /** Length of the canonical JSON of `args`. */
  argsChars: 16_384,
  /** Nesting depth of any JSON value the engine walks. */
  jsonDepth: 16,
  chunks: 1024,
  /** Length of the canonical JSON of a `_lobstertrap` block. */
  lobstertrapChars: 65_536,
  lobstertrapMismatches: 256,
  catalogTools: 1024,
  catalogEntities: 100_000,
  rulesetRules: 256,
} as const;
