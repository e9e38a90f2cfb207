// The Kubernetes executor (DESIGN.md §5, §11): `isolate_network_device` on a spine applies the site's
// deny-all NetworkPolicy, only after the gate has verified and redeemed the token; `heal` removes it.
// Every failure rejects: an outcome is returned only when the API server confirmed the deny-all.

import type { ExecutionTokenClaims } from '../../tokens/index.js';
import type { ActionCall, ExecutionOutcome, Executor, TokenGate } from '../executor.js';
import { KubernetesExecutorError } from './errors.js';
import { ISOLATION_POLICY_NAME, isolationPolicy, type NetworkPolicyManifest } from './isolation_policy.js';
import { kubernetesErrorFrom } from './kubeconfig_api.js';
import type { NetworkPolicyApi, StoredNetworkPolicy } from './network_policy_api.js';
import { siteNamespace, spineSite } from './spine_namespace.js';

/** The one catalog tool this executor runs (canonical name; the alias `network.isolate` is not accepted). */
export const ISOLATE_TOOL = 'isolate_network_device';

export interface KubernetesExecutorOptions {
  /** The cluster: networkPolicyApiFromKubeconfig() in production. */
  api: NetworkPolicyApi;
  /** Verifies and redeems the execution token; nothing touches the API before it resolves. */
  gate: TokenGate;
  /**
   * Site id → namespace. When given it is the whole list: a site it does not name is refused.
   * Default: each site's namespace is the site id (`sj-01`).
   */
  namespaces?: Readonly<Record<string, string>>;
  /** The clock for executed_at / healed_at. Default: the system clock. */
  now?: () => Date;
}

/** What heal did. `removed` is false when there was no isolation policy to remove. */
export interface HealOutcome {
  executor: 'kubernetes';
  site: string;
  namespace: string;
  policy: string;
  cluster: string;
  removed: boolean;
  /** ISO 8601. */
  healed_at: string;
  effect: string;
}

export class KubernetesExecutor implements Executor {
  readonly name = 'kubernetes';
  readonly simulated = false;
  readonly tools: readonly string[] = [ISOLATE_TOOL];
  readonly #api: NetworkPolicyApi;
  readonly #gate: TokenGate;
  readonly #namespaces: Readonly<Record<string, string>> | undefined;
  readonly #now: () => Date;

  constructor(options: KubernetesExecutorOptions) {
    this.#api = options.api;
    this.#gate = options.gate;
    this.#namespaces = options.namespaces === undefined ? undefined : { ...options.namespaces };
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Refuses (E_K8S_UNSUPPORTED / E_K8S_NO_NAMESPACE) before the gate anything but
   * isolate_network_device { device_id: "spine-switch-<site>" } for a site with a namespace. Then the
   * gate (its TokenError passes unchanged), then create, or replace when the policy exists (409).
   */
  async execute(token: string, call: ActionCall): Promise<ExecutionOutcome> {
    const { presented, deviceId } = runnableCall(call);
    const site = spineSite(deviceId);
    const namespace = siteNamespace(site, this.#namespaces);

    const claims = await this.#gate(token, presented);
    const manifest = isolationPolicy(namespace, isolationMetaOf(claims));

    let applied: 'created' | 'replaced' = 'created';
    let stored: StoredNetworkPolicy;
    try {
      stored = await this.#api.create(manifest);
    } catch (e) {
      const error = kubernetesErrorFrom(e, `creating NetworkPolicy ${namespace}/${ISOLATION_POLICY_NAME}`);
      if (error.code !== 'E_K8S_API' || error.httpStatus !== 409) throw error;
      applied = 'replaced';
      try {
        stored = await this.#api.replace(manifest);
      } catch (e2) {
        throw kubernetesErrorFrom(e2, `replacing NetworkPolicy ${namespace}/${ISOLATION_POLICY_NAME}`);
      }
    }
    checkDenyAll(stored, manifest);

    const details: Record<string, unknown> = {
      site,
      namespace,
      device_id: deviceId,
      policy: ISOLATION_POLICY_NAME,
      applied,
      cluster: this.#api.cluster,
      manifest,
    };
    if (stored.uid !== undefined) details.uid = stored.uid;
    if (stored.resourceVersion !== undefined) details.resource_version = stored.resourceVersion;
    return {
      executor: this.name,
      simulated: false,
      tool: presented.tool,
      args: presented.args,
      executed_at: this.#now().toISOString(),
      effect:
        `Deny-all NetworkPolicy ${ISOLATION_POLICY_NAME} ${applied} in namespace ${namespace} ` +
        `(site ${site}, ${this.#api.cluster}): every pod in it (host-network pods excepted) is denied ` +
        `all ingress and egress, wherever the cluster's network plugin enforces NetworkPolicy.`,
      details,
    };
  }

  /**
   * Deletes the site's isolation policy. Idempotent: an absent policy (404) is `removed: false`.
   * Not token-gated: healing is the operator's act, and whoever holds this object may heal.
   */
  async heal(site: string): Promise<HealOutcome> {
    if (typeof site !== 'string') {
      throw new KubernetesExecutorError('E_K8S_UNSUPPORTED', 'heal needs a site id (a string)');
    }
    const namespace = siteNamespace(site, this.#namespaces);
    let removed = true;
    try {
      await this.#api.delete(namespace, ISOLATION_POLICY_NAME);
    } catch (e) {
      const error = kubernetesErrorFrom(e, `deleting NetworkPolicy ${namespace}/${ISOLATION_POLICY_NAME}`);
      if (error.code !== 'E_K8S_API' || error.httpStatus !== 404) throw error;
      removed = false;
    }
    return {
      executor: 'kubernetes',
      site,
      namespace,
      policy: ISOLATION_POLICY_NAME,
      cluster: this.#api.cluster,
      removed,
      healed_at: this.#now().toISOString(),
      effect: removed
        ? `NetworkPolicy ${ISOLATION_POLICY_NAME} deleted from namespace ${namespace} (site ${site}): its pods' traffic is no longer denied by Carapace.`
        : `No NetworkPolicy ${ISOLATION_POLICY_NAME} in namespace ${namespace} (site ${site}): nothing to heal.`,
    };
  }
}

/**
 * A copy of `call` that is an isolate_network_device call with args exactly { device_id: string }, so
 * that what the gate checks and what the executor applies are the same data, whatever the caller
 * does with its own object meanwhile. Throws E_K8S_UNSUPPORTED.
 */
function runnableCall(call: ActionCall): { presented: ActionCall; deviceId: string } {
  if (typeof call !== 'object' || call === null) throw unsupported('the call is not an object');
  if (call.tool !== ISOLATE_TOOL) {
    throw unsupported(
      `tool ${JSON.stringify(String(call.tool)).slice(0, 80)} is not run by the Kubernetes executor (it runs ${ISOLATE_TOOL})`,
    );
  }
  let presented: ActionCall;
  try {
    presented = structuredClone(call);
  } catch {
    throw unsupported('the call is not plain data');
  }
  const args: unknown = presented.args;
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw unsupported(`${ISOLATE_TOOL} args must be an object`);
  }
  const keys = Object.keys(args);
  const deviceId = (args as { device_id?: unknown }).device_id;
  if (keys.length !== 1 || keys[0] !== 'device_id' || typeof deviceId !== 'string') {
    throw unsupported(`${ISOLATE_TOOL} args must be exactly { device_id: <string> }`);
  }
  return { presented, deviceId };
}

function isolationMetaOf(claims: ExecutionTokenClaims) {
  const { jti, dec, rsh } = (claims ?? {}) as Partial<ExecutionTokenClaims>;
  if (typeof jti !== 'string' || typeof dec !== 'string' || typeof rsh !== 'string') {
    // A gate that resolves without claims is broken (a programming error); acting anyway would leave
    // the policy unattributed.
    throw new TypeError('the gate resolved without execution token claims (jti, dec, rsh)');
  }
  return { jti, decision: dec, ruleset: rsh };
}

/** The API server's copy must still be the deny-all we sent (an admission webhook may have changed it). */
function checkDenyAll(stored: StoredNetworkPolicy, sent: NetworkPolicyManifest): void {
  const selector = stored.podSelector;
  const problems: string[] = [];
  if (stored.name !== sent.metadata.name || stored.namespace !== sent.metadata.namespace) {
    problems.push(`it is ${stored.namespace}/${stored.name}`);
  }
  if (
    selector === undefined ||
    Object.keys(selector.matchLabels ?? {}).length > 0 ||
    (selector.matchExpressions ?? []).length > 0
  ) {
    problems.push('its podSelector does not select every pod');
  }
  if (!stored.policyTypes.includes('Ingress') || !stored.policyTypes.includes('Egress')) {
    problems.push(`its policyTypes are ${JSON.stringify(stored.policyTypes)}`);
  }
  if (stored.ingress.length > 0 || stored.egress.length > 0) problems.push('it allows some traffic');
  if (problems.length > 0) {
    throw new KubernetesExecutorError(
      'E_K8S_API',
      `the API server stored NetworkPolicy ${sent.metadata.namespace}/${sent.metadata.name}, but not as a deny-all: ` +
        `${problems.join('; ')}`,
    );
  }
}

function unsupported(message: string): KubernetesExecutorError {
  return new KubernetesExecutorError('E_K8S_UNSUPPORTED', message);
}
