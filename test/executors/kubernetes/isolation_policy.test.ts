// The manifest is the executor's whole effect on a cluster, so it is pinned field by field: a deny-all
// over every pod of the namespace, labelled as Carapace's, annotated only when told what applied it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isolationPolicy, KubernetesExecutorError } from '../../../src/executors/kubernetes/index.js';

test('the isolation policy is exactly the deny-all NetworkPolicy carapace-isolate of the namespace', () => {
  assert.deepEqual(isolationPolicy('sj-01'), {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: 'carapace-isolate',
      namespace: 'sj-01',
      labels: { 'app.kubernetes.io/managed-by': 'carapace' },
    },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] },
  });
});

test('with the token facts the policy is the same deny-all plus three annotations naming them', () => {
  const jti = 'AAAAAAAAAAAAAAAAAAAAAA';
  const decision = `sha256:${'d'.repeat(64)}`;
  const ruleset = `sha256:${'e'.repeat(64)}`;
  const { metadata, ...rest } = isolationPolicy('oak-01', { jti, decision, ruleset });
  const { metadata: plainMetadata, ...plainRest } = isolationPolicy('oak-01');
  assert.deepEqual(rest, plainRest);
  assert.deepEqual(metadata, {
    ...plainMetadata,
    annotations: {
      'carapace/execution-token-jti': jti,
      'carapace/decision-record': decision,
      'carapace/ruleset': ruleset,
    },
  });
});

test('each call returns a fresh object: changing one manifest cannot change the next', () => {
  const a = isolationPolicy('sj-02');
  a.spec.policyTypes.pop();
  a.metadata.labels.extra = 'x';
  assert.deepEqual(isolationPolicy('sj-02').spec.policyTypes, ['Ingress', 'Egress']);
  assert.deepEqual(isolationPolicy('sj-02').metadata.labels, { 'app.kubernetes.io/managed-by': 'carapace' });
});

test('a namespace that is not an RFC 1123 label is refused, E_K8S_NO_NAMESPACE', () => {
  for (const bad of ['', 'SJ-01', 'sj_01', '-sj', 'sj-', 'a'.repeat(64), 'sj.01', 'kube system', '../x']) {
    assert.throws(
      () => isolationPolicy(bad),
      (e: unknown) => e instanceof KubernetesExecutorError && e.code === 'E_K8S_NO_NAMESPACE',
      bad,
    );
  }
  assert.equal(isolationPolicy('a'.repeat(63)).metadata.namespace, 'a'.repeat(63));
});
