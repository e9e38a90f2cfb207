// The executor against a real cluster: runs only with CARAPACE_K8S_LIVE=1, on the cluster KUBECONFIG
// names (docs/kubernetes.md sets one up with kind and Calico). It applies, reads back, re-applies, heals
// and checks the policy is gone, in namespace sj-01, which must exist. Skipped, and says so, otherwise.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  isolationPolicy,
  KubernetesExecutor,
  KubernetesExecutorError,
  networkPolicyApiFromKubeconfig,
} from '../../../src/executors/kubernetes/index.js';
import { DECISION, isolateCall, mintFor, recordingTokenGate, RULESET } from './token_gate.js';

const LIVE = process.env.CARAPACE_K8S_LIVE === '1';
const skip = LIVE
  ? false
  : 'live Kubernetes test skipped: set CARAPACE_K8S_LIVE=1 and KUBECONFIG to a cluster with namespace sj-01 ' +
    '(see docs/kubernetes.md for kind + Calico)';

test(
  'live: isolate spine-switch-sj-01 applies carapace-isolate in sj-01, re-applying replaces it, heal deletes it',
  { skip },
  async () => {
    const api = await networkPolicyApiFromKubeconfig();
    const log: string[] = [];
    const executor = new KubernetesExecutor({ api, gate: recordingTokenGate(log) });
    const call = isolateCall('spine-switch-sj-01');

    // Start from a healed site, whatever an earlier run left behind.
    await executor.heal('sj-01');

    const first = await mintFor(call);
    const created = await executor.execute(first.token, call);
    assert.equal(created.simulated, false);
    assert.equal(created.details?.applied, 'created');

    const stored = await api.read('sj-01', 'carapace-isolate');
    const expected = isolationPolicy('sj-01', {
      jti: first.claims.jti,
      decision: DECISION,
      ruleset: RULESET,
    });
    assert.equal(stored.namespace, 'sj-01');
    assert.equal(stored.name, 'carapace-isolate');
    assert.deepEqual(stored.labels, expected.metadata.labels);
    assert.deepEqual(stored.annotations, expected.metadata.annotations);
    assert.deepEqual(stored.podSelector, {});
    assert.deepEqual(stored.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual([stored.ingress, stored.egress], [[], []]);

    const second = await mintFor(call);
    const replaced = await executor.execute(second.token, call);
    assert.equal(replaced.details?.applied, 'replaced');
    const restored = await api.read('sj-01', 'carapace-isolate');
    assert.equal(restored.annotations['carapace/execution-token-jti'], second.claims.jti);
    assert.equal(restored.uid, stored.uid, 'replaced in place, not deleted and re-created');

    const healed = await executor.heal('sj-01');
    assert.equal(healed.removed, true);
    await assert.rejects(
      api.read('sj-01', 'carapace-isolate'),
      (e: unknown) => e instanceof KubernetesExecutorError && e.code === 'E_K8S_API' && e.httpStatus === 404,
    );
    assert.equal((await executor.heal('sj-01')).removed, false);
    assert.deepEqual(log, ['gate', 'gate.ok', 'gate', 'gate.ok']);
  },
);
