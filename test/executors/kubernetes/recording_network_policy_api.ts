// TEST DOUBLE, not a cluster: a NetworkPolicyApi that records every call in order and answers from a
// Map with the API server's 409-on-create and 404-on-absent rules. It proves which calls the executor
// makes and when; it proves nothing about Kubernetes (live.test.ts does, with CARAPACE_K8S_LIVE=1).

import type { NetworkPolicyManifest } from '../../../src/executors/kubernetes/isolation_policy.js';
import { KubernetesExecutorError } from '../../../src/executors/kubernetes/errors.js';
import type {
  NetworkPolicyApi,
  StoredNetworkPolicy,
} from '../../../src/executors/kubernetes/network_policy_api.js';

export type ApiMethod = 'create' | 'replace' | 'read' | 'delete';

export interface RecordedApiCall {
  method: ApiMethod;
  namespace: string;
  name: string;
  /** The manifest sent, for create and replace (a deep copy, as it was at call time). */
  policy?: NetworkPolicyManifest;
}

/** An API-server error as the real adapter reports it. */
export function apiAnswered(status: number, reason: string): KubernetesExecutorError {
  return new KubernetesExecutorError(
    'E_K8S_API',
    `test double: answered ${status} ${reason}`,
    status,
    reason,
  );
}

export class RecordingNetworkPolicyApi implements NetworkPolicyApi {
  readonly cluster = 'test double (no cluster)';
  readonly calls: RecordedApiCall[] = [];
  /** Policies held, keyed namespace/name. */
  readonly policies = new Map<string, NetworkPolicyManifest>();
  /** Per method, what to throw instead of answering (the next calls of that method all fail). */
  readonly failures: Partial<Record<ApiMethod, unknown>> = {};
  /** Rewrites what create/replace report as stored, to model an admission webhook changing the policy. */
  rewriteStored?: (stored: StoredNetworkPolicy) => StoredNetworkPolicy;

  /** `log` is shared with a recording gate, so a test sees gate and API calls in one order. */
  constructor(readonly log: string[] = []) {}

  async create(policy: NetworkPolicyManifest): Promise<StoredNetworkPolicy> {
    const { namespace, name } = this.#record(
      'create',
      policy.metadata.namespace,
      policy.metadata.name,
      policy,
    );
    if (this.policies.has(`${namespace}/${name}`)) throw apiAnswered(409, 'AlreadyExists');
    return this.#store(policy);
  }

  async replace(policy: NetworkPolicyManifest): Promise<StoredNetworkPolicy> {
    const { namespace, name } = this.#record(
      'replace',
      policy.metadata.namespace,
      policy.metadata.name,
      policy,
    );
    if (!this.policies.has(`${namespace}/${name}`)) throw apiAnswered(404, 'NotFound');
    return this.#store(policy);
  }

  async read(namespace: string, name: string): Promise<StoredNetworkPolicy> {
    this.#record('read', namespace, name);
    const policy = this.policies.get(`${namespace}/${name}`);
    if (policy === undefined) throw apiAnswered(404, 'NotFound');
    return storedOf(policy);
  }

  async delete(namespace: string, name: string): Promise<void> {
    this.#record('delete', namespace, name);
    if (!this.policies.delete(`${namespace}/${name}`)) throw apiAnswered(404, 'NotFound');
  }

  #record(method: ApiMethod, namespace: string, name: string, policy?: NetworkPolicyManifest) {
    this.log.push(`api.${method}`);
    this.calls.push({ method, namespace, name, ...(policy ? { policy: structuredClone(policy) } : {}) });
    if (method in this.failures) throw this.failures[method];
    return { namespace, name };
  }

  #store(policy: NetworkPolicyManifest): StoredNetworkPolicy {
    this.policies.set(`${policy.metadata.namespace}/${policy.metadata.name}`, structuredClone(policy));
    const stored = storedOf(policy);
    return this.rewriteStored ? this.rewriteStored(stored) : stored;
  }
}

function storedOf(policy: NetworkPolicyManifest): StoredNetworkPolicy {
  return {
    name: policy.metadata.name,
    namespace: policy.metadata.namespace,
    uid: '00000000-0000-4000-8000-000000000000',
    resourceVersion: '1',
    labels: { ...policy.metadata.labels },
    annotations: { ...policy.metadata.annotations },
    podSelector: {},
    policyTypes: [...policy.spec.policyTypes],
    ingress: [],
    egress: [],
  };
}
