// The one error type of the data hall: a stable code callers branch on and a message that says what
// failed and where (which command, which namespace, which target). Never carries secrets.

export type HallErrorCode =
  /** Network namespaces cannot be used here (not Linux, not root, `ip` or `nft` missing). */
  | 'E_HALL_UNAVAILABLE'
  /** The options given to the hall are invalid (prefix, subnet, interval, run directory). */
  | 'E_HALL_CONFIG'
  /** An `ip` or `nft` command failed or timed out. */
  | 'E_HALL_COMMAND'
  /** The hall (or the named site's process) is not running. */
  | 'E_HALL_NOT_UP'
  /** A site, device, VLAN, node, VM or workload the hall does not have. */
  | 'E_HALL_TARGET'
  /** A tool the hall's executor does not run. */
  | 'E_HALL_TOOL'
  /** An effect could not be applied; nothing may be assumed to have changed. */
  | 'E_HALL_EFFECT';

export class HallError extends Error {
  constructor(
    readonly code: HallErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HallError';
  }
}
