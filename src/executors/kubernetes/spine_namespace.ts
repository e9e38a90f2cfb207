// Which namespace an isolation lands in: a spine switch carries one whole site, and a site is one
// namespace. Checked before the gate, so a device this executor cannot isolate never spends a token.

import { KubernetesExecutorError } from './errors.js';
import { isNamespaceName } from './isolation_policy.js';

const SPINE = /^spine-switch-([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)$/;
const LEAF = /^leaf-switch-/;

/** The site a spine switch id names (`spine-switch-sj-01` → `sj-01`); throws E_K8S_UNSUPPORTED otherwise. */
export function spineSite(deviceId: string): string {
  const site = SPINE.exec(deviceId)?.[1];
  if (site !== undefined) return site;
  const shown = JSON.stringify(deviceId).slice(0, 80);
  if (LEAF.test(deviceId)) {
    throw new KubernetesExecutorError(
      'E_K8S_UNSUPPORTED',
      `device ${shown} is a leaf switch: a leaf carries one VLAN, which has no NetworkPolicy counterpart; ` +
        'the Kubernetes executor isolates only spines (whole sites)',
    );
  }
  throw new KubernetesExecutorError(
    'E_K8S_UNSUPPORTED',
    `device ${shown} is not a spine switch (spine-switch-<site>); the Kubernetes executor isolates only spines`,
  );
}

/**
 * The namespace of `site`. With a mapping, the mapping is the whole list: a site it does not name has
 * no namespace. Without one, the namespace is the site id itself. Throws E_K8S_NO_NAMESPACE.
 */
export function siteNamespace(site: string, namespaces?: Readonly<Record<string, string>>): string {
  let namespace: string | undefined = site;
  if (namespaces !== undefined) {
    namespace = Object.hasOwn(namespaces, site) ? namespaces[site] : undefined;
    if (namespace === undefined) {
      throw new KubernetesExecutorError(
        'E_K8S_NO_NAMESPACE',
        `site ${JSON.stringify(site).slice(0, 80)} is not in the namespace mapping`,
      );
    }
  }
  if (!isNamespaceName(namespace)) {
    throw new KubernetesExecutorError(
      'E_K8S_NO_NAMESPACE',
      `site ${JSON.stringify(site).slice(0, 80)} maps to ${JSON.stringify(String(namespace)).slice(0, 80)}, ` +
        'which is not a Kubernetes namespace name',
    );
  }
  return namespace;
}
