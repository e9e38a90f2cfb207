// The Kubernetes executor's public surface: the executor, the manifest it applies, the small API
// interface it acts through, and the kubeconfig-backed implementation of that interface.

export type { KubernetesExecutorErrorCode } from './errors.js';
export { KubernetesExecutorError } from './errors.js';
export type { HealOutcome, KubernetesExecutorOptions } from './executor.js';
export { ISOLATE_TOOL, KubernetesExecutor } from './executor.js';
export type { IsolationMeta, NetworkPolicyManifest } from './isolation_policy.js';
export { ANNOTATIONS, ISOLATION_POLICY_NAME, isolationPolicy, MANAGED_BY_LABEL } from './isolation_policy.js';
export type { KubeconfigApiOptions } from './kubeconfig_api.js';
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  kubernetesErrorFrom,
  networkPolicyApiFromKubeconfig,
} from './kubeconfig_api.js';
export type { NetworkPolicyApi, StoredNetworkPolicy } from './network_policy_api.js';
export { siteNamespace, spineSite } from './spine_namespace.js';
