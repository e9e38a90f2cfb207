// The real NetworkPolicyApi: @kubernetes/client-node against the one cluster KUBECONFIG names. It is
// the only file that touches the client, loads it lazily, and turns every client error into a
// KubernetesExecutorError built from status codes and names, so no credential reaches a message.

import { delimiter } from 'node:path';
import type {
  ConfigurationOptions,
  ObservableMiddleware,
  RequestContext,
  ResponseContext,
  V1NetworkPolicy,
} from '@kubernetes/client-node';
import { KubernetesExecutorError } from './errors.js';
import type { NetworkPolicyManifest } from './isolation_policy.js';
import type { NetworkPolicyApi, StoredNetworkPolicy } from './network_policy_api.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const MAX_REQUEST_TIMEOUT_MS = 600_000;

export interface KubeconfigApiOptions {
  /** Path of one kubeconfig file. Default: the KUBECONFIG environment variable, which must then be set. */
  kubeconfig?: string;
  /** The kubeconfig context to use. Default: the file's current-context. */
  context?: string;
  /** Each API request is abandoned (and reported E_K8S_UNREACHABLE) after this many ms: 1 to 600000, default 10000. */
  requestTimeoutMs?: number;
}

/**
 * Loads the kubeconfig and returns the API. Refuses (E_K8S_CONFIG) when no kubeconfig is named, when
 * KUBECONFIG lists several files, when the file does not load, when the context names no cluster,
 * and when that cluster is not https or skips TLS verification. It never falls back to
 * ~/.kube/config, in-cluster credentials or http://localhost:8080 as the client would by default.
 */
export async function networkPolicyApiFromKubeconfig(
  options: KubeconfigApiOptions = {},
): Promise<NetworkPolicyApi> {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_REQUEST_TIMEOUT_MS) {
    throw configError(
      `requestTimeoutMs must be an integer from 1 to ${MAX_REQUEST_TIMEOUT_MS} ms, got ${String(timeoutMs)}`,
    );
  }
  const path = options.kubeconfig ?? process.env.KUBECONFIG ?? '';
  if (path === '') {
    throw configError(
      'no kubeconfig: set KUBECONFIG to the file of the cluster to act on (there is no default cluster)',
    );
  }
  if (path.split(delimiter).filter((p) => p !== '').length !== 1) {
    throw configError(
      'KUBECONFIG lists several files; name one (`kubectl config view --flatten` merges them into one)',
    );
  }

  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (e) {
    // A YAML error quotes the file, which may hold a token: only the error's name or code is kept.
    throw configError(`kubeconfig ${JSON.stringify(path)} could not be loaded (${errorLabel(e)})`);
  }
  if (options.context !== undefined) {
    if (kc.getContextObject(options.context) === null) {
      throw configError(`the kubeconfig has no context ${JSON.stringify(options.context)}`);
    }
    kc.setCurrentContext(options.context);
  }
  const contextName = kc.getCurrentContext();
  if (typeof contextName !== 'string' || contextName === '' || kc.getContextObject(contextName) === null) {
    throw configError('the kubeconfig has no current context');
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw configError(`context ${JSON.stringify(contextName)} names no known cluster`);
  let protocol: string;
  try {
    protocol = new URL(cluster.server).protocol;
  } catch {
    throw configError(`cluster ${JSON.stringify(cluster.name)}: the server is not a URL`);
  }
  if (protocol !== 'https:') {
    throw configError(`cluster ${JSON.stringify(cluster.name)}: the server is not https, refused`);
  }
  if (cluster.skipTLSVerify) {
    throw configError(`cluster ${JSON.stringify(cluster.name)}: insecure-skip-tls-verify is set, refused`);
  }

  const api = kc.makeApiClient(k8s.NetworkingV1Api);
  const { Observable } = k8s;

  /** Runs one request with an abort signal on the wire and a deadline around the whole call. */
  async function call<T>(
    doing: string,
    request: (opts: ConfigurationOptions<ObservableMiddleware>) => Promise<T>,
  ) {
    const signal = AbortSignal.timeout(timeoutMs);
    const abortOnTimeout: ObservableMiddleware = {
      pre: (ctx: RequestContext) => {
        ctx.setSignal(signal);
        return new Observable(Promise.resolve(ctx));
      },
      post: (ctx: ResponseContext) => new Observable(Promise.resolve(ctx)),
    };
    let onAbort: (() => void) | undefined;
    const deadline = new Promise<never>((_, reject) => {
      onAbort = () =>
        reject(
          new KubernetesExecutorError('E_K8S_UNREACHABLE', `${doing}: no answer within ${timeoutMs} ms`),
        );
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([
        request({ middleware: [abortOnTimeout], middlewareMergeStrategy: 'append' }),
        deadline,
      ]);
    } catch (e) {
      throw kubernetesErrorFrom(e, doing);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    cluster: `context ${JSON.stringify(contextName)} (cluster ${JSON.stringify(cluster.name)})`,
    async create(policy: NetworkPolicyManifest) {
      const doing = `creating NetworkPolicy ${policy.metadata.namespace}/${policy.metadata.name}`;
      return storedPolicy(
        await call(doing, (o) =>
          api.createNamespacedNetworkPolicy({ namespace: policy.metadata.namespace, body: policy }, o),
        ),
      );
    },
    async replace(policy: NetworkPolicyManifest) {
      const { name, namespace } = policy.metadata;
      const doing = `replacing NetworkPolicy ${namespace}/${name}`;
      return storedPolicy(
        await call(doing, (o) => api.replaceNamespacedNetworkPolicy({ name, namespace, body: policy }, o)),
      );
    },
    async read(namespace: string, name: string) {
      const doing = `reading NetworkPolicy ${namespace}/${name}`;
      return storedPolicy(await call(doing, (o) => api.readNamespacedNetworkPolicy({ name, namespace }, o)));
    },
    async delete(namespace: string, name: string) {
      const doing = `deleting NetworkPolicy ${namespace}/${name}`;
      await call(doing, (o) => api.deleteNamespacedNetworkPolicy({ name, namespace }, o));
    },
  };
}

/**
 * Any error the client raised, as a KubernetesExecutorError. An answer from the API server (the
 * client's ApiException: a numeric HTTP `code`) becomes E_K8S_API with the status and the Status
 * `reason` only; anything else becomes E_K8S_UNREACHABLE with at most an error code such as
 * ECONNREFUSED. Raw messages, bodies, headers and URLs are dropped: they can quote credentials.
 */
export function kubernetesErrorFrom(error: unknown, doing: string): KubernetesExecutorError {
  if (error instanceof KubernetesExecutorError) return error;
  if (typeof error === 'object' && error !== null) {
    const status = (error as { code?: unknown }).code;
    if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) {
      const reason = statusReason((error as { body?: unknown }).body);
      return new KubernetesExecutorError(
        'E_K8S_API',
        `${doing}: the API server answered ${status}${reason ? ` ${reason}` : ''}`,
        status,
        reason,
      );
    }
  }
  return new KubernetesExecutorError(
    'E_K8S_UNREACHABLE',
    `${doing}: no answer from the API server (${errorLabel(error)})`,
  );
}

/** The `reason` of a Kubernetes Status body, if the body is one and the reason is a plain word. */
function statusReason(body: unknown): string | undefined {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const reason = (parsed as { reason?: unknown }).reason;
  return typeof reason === 'string' && /^[A-Za-z]{1,64}$/.test(reason) ? reason : undefined;
}

/** An error's code (ECONNREFUSED, ENOENT) or class name: never its message. */
function errorLabel(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && /^[A-Za-z]{1,40}$/.test(name)) return name;
  }
  return 'unknown error';
}

function configError(message: string): KubernetesExecutorError {
  return new KubernetesExecutorError('E_K8S_CONFIG', message);
}

function storedPolicy(p: V1NetworkPolicy): StoredNetworkPolicy {
  const selector = p.spec?.podSelector;
  return {
    name: p.metadata?.name ?? '',
    namespace: p.metadata?.namespace ?? '',
    uid: p.metadata?.uid,
    resourceVersion: p.metadata?.resourceVersion,
    labels: { ...p.metadata?.labels },
    annotations: { ...p.metadata?.annotations },
    podSelector:
      selector === undefined
        ? undefined
        : {
            ...(selector.matchLabels !== undefined ? { matchLabels: { ...selector.matchLabels } } : {}),
            ...(selector.matchExpressions !== undefined
              ? { matchExpressions: [...selector.matchExpressions] }
              : {}),
          },
    policyTypes: [...(p.spec?.policyTypes ?? [])],
    ingress: [...(p.spec?.ingress ?? [])],
    egress: [...(p.spec?.egress ?? [])],
  };
}
