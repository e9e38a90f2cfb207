// The one manifest the Kubernetes executor applies: a deny-all NetworkPolicy over every pod of a
// namespace, built by a pure function so tests and reviewers can compare it field by field.

import { KubernetesExecutorError } from './errors.js';

/** The policy's name in every namespace: one isolation per site, applied and healed by name. */
export const ISOLATION_POLICY_NAME = 'carapace-isolate';

/** The label every object Carapace applies carries. */
export const MANAGED_BY_LABEL = { 'app.kubernetes.io/managed-by': 'carapace' } as const;

/** Annotation keys recording which execution token and decision applied the policy. */
export const ANNOTATIONS = {
  jti: 'carapace/execution-token-jti',
  decision: 'carapace/decision-record',
  ruleset: 'carapace/ruleset',
} as const;

/** A NetworkPolicy as this executor writes it: selects all pods, allows no ingress and no egress. */
export interface NetworkPolicyManifest {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    podSelector: Record<string, never>;
    policyTypes: ('Ingress' | 'Egress')[];
    ingress: [];
    egress: [];
  };
}

/** What the execution token says about the action, recorded on the policy as annotations. */
export interface IsolationMeta {
  /** The execution token's jti. */
  jti: string;
  /** sha256:<hex> of the decision record that allowed the isolation. */
  decision: string;
  /** sha256:<hex> of the ruleset that decided it. */
  ruleset: string;
}

/** RFC 1123 label: what Kubernetes accepts as a namespace name. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function isNamespaceName(value: unknown): value is string {
  return typeof value === 'string' && NAMESPACE_NAME.test(value);
}

/**
 * The deny-all NetworkPolicy for `namespace`. Requires a valid namespace name (RFC 1123 label), else
 * throws E_K8S_NO_NAMESPACE. Without `meta` the manifest has no annotations at all.
 */
export function isolationPolicy(namespace: string, meta?: IsolationMeta): NetworkPolicyManifest {
  if (!isNamespaceName(namespace)) {
    throw new KubernetesExecutorError(
      'E_K8S_NO_NAMESPACE',
      `${JSON.stringify(String(namespace)).slice(0, 80)} is not a Kubernetes namespace name`,
    );
  }
  const metadata: NetworkPolicyManifest['metadata'] = {
    name: ISOLATION_POLICY_NAME,
    namespace,
    labels: { ...MANAGED_BY_LABEL },
  };
  if (meta !== undefined) {
    metadata.annotations = {
      [ANNOTATIONS.jti]: meta.jti,
      [ANNOTATIONS.decision]: meta.decision,
      [ANNOTATIONS.ruleset]: meta.ruleset,
    };
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata,
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] },
  };
}
