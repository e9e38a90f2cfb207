// The few NetworkPolicy calls the executor makes, behind an interface of its own: the real one talks to
// the cluster in KUBECONFIG through @kubernetes/client-node; unit tests record calls on a test double.

import type { NetworkPolicyManifest } from './isolation_policy.js';

/** A NetworkPolicy as the API server returned it, reduced to what outcomes and checks read. */
export interface StoredNetworkPolicy {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  podSelector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined;
  policyTypes: string[];
  /** Absent and empty are the same to Kubernetes: both are "no rule", so these are arrays either way. */
  ingress: unknown[];
  egress: unknown[];
}

/**
 * Every method rejects with KubernetesExecutorError: E_K8S_API (with httpStatus and reason) when the
 * API server answered with an error status, E_K8S_UNREACHABLE when there was no usable answer.
 * Nothing else is thrown, and no message carries credentials or kubeconfig contents.
 */
export interface NetworkPolicyApi {
  /** Which cluster this is, for outcomes: the kubeconfig context and cluster names, never credentials. */
  readonly cluster: string;
  /** POST; 409 AlreadyExists when a policy of that name exists in the namespace. */
  create(policy: NetworkPolicyManifest): Promise<StoredNetworkPolicy>;
  /** PUT without a resourceVersion (unconditional); 404 NotFound when there is none to replace. */
  replace(policy: NetworkPolicyManifest): Promise<StoredNetworkPolicy>;
  /** GET; 404 NotFound when absent. */
  read(namespace: string, name: string): Promise<StoredNetworkPolicy>;
  /** DELETE; 404 NotFound when absent. */
  delete(namespace: string, name: string): Promise<void>;
}
