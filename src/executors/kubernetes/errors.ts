// The Kubernetes executor's one error type: a stable code callers branch on. Messages are built here
// from codes, HTTP statuses and names only, never from kubeconfig contents or raw client errors.

export type KubernetesExecutorErrorCode =
  /** The call is not one this executor runs (tool, device, args). Raised before the gate: no token spent. */
  | 'E_K8S_UNSUPPORTED'
  /** The site has no namespace (not in the mapping, or not a valid namespace name). Before the gate. */
  | 'E_K8S_NO_NAMESPACE'
  /** KUBECONFIG is missing, unreadable, or names a cluster this executor refuses to talk to. */
  | 'E_K8S_CONFIG'
  /** The API server answered with an error status: the change was refused, nothing was applied. */
  | 'E_K8S_API'
  /** No answer (connection, TLS, credential plugin, timeout): whether the change landed is unknown. */
  | 'E_K8S_UNREACHABLE';

export class KubernetesExecutorError extends Error {
  constructor(
    readonly code: KubernetesExecutorErrorCode,
    message: string,
    /** The API server's HTTP status, for E_K8S_API. */
    readonly httpStatus?: number,
    /** The API server's Status reason (`AlreadyExists`, `NotFound`, `Forbidden`, ...), when it gave one. */
    readonly reason?: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'KubernetesExecutorError';
  }
}
