// The real API adapter, without a cluster: which kubeconfigs it refuses to use, and that every error it
// reports (a refused load, no answer, an API error answer) carries codes and names, never credentials.
// Requests here go only to 127.0.0.1 ports where no Kubernetes runs.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import {
  KubernetesExecutorError,
  type KubernetesExecutorErrorCode,
  kubernetesErrorFrom,
  networkPolicyApiFromKubeconfig,
} from '../../../src/executors/kubernetes/index.js';

const SECRET = 'sk-SECRET-TOKEN-must-never-show';
const dir = mkdtempSync(join(tmpdir(), 'carapace-kubeconfig-'));

function kubeconfig(name: string, cluster: string, extra = ''): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: test-cluster',
      `  cluster: {${cluster}}`,
      'users:',
      '- name: test-user',
      `  user: {token: ${SECRET}}`,
      'contexts:',
      '- name: test-context',
      '  context: {cluster: test-cluster, user: test-user}',
      extra,
    ].join('\n'),
  );
  return path;
}

const CURRENT = 'current-context: test-context';

async function refused(p: Promise<unknown>, code: KubernetesExecutorErrorCode, message: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof KubernetesExecutorError, `expected a KubernetesExecutorError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    assert.doesNotMatch(e.message, /SECRET/);
    assert.equal(e.cause, undefined);
    return true;
  });
}

test('with KUBECONFIG unset there is no cluster: no ~/.kube/config, in-cluster or localhost fallback', async () => {
  const saved = process.env.KUBECONFIG;
  delete process.env.KUBECONFIG;
  try {
    await refused(networkPolicyApiFromKubeconfig(), 'E_K8S_CONFIG', /no kubeconfig: set KUBECONFIG/);
  } finally {
    if (saved !== undefined) process.env.KUBECONFIG = saved;
  }
});

test('a request timeout outside 1 ms to 10 minutes is refused before anything loads', async () => {
  for (const requestTimeoutMs of [0, -1, 1.5, 600_001, Number.NaN]) {
    await refused(
      networkPolicyApiFromKubeconfig({ kubeconfig: '/nonexistent', requestTimeoutMs }),
      'E_K8S_CONFIG',
      /requestTimeoutMs must be an integer from 1 to 600000 ms/,
    );
  }
});

test('a KUBECONFIG list of several files is refused rather than merged differently from kubectl', async () => {
  const a = kubeconfig('a.yaml', 'server: "https://127.0.0.1:1"', CURRENT);
  await refused(
    networkPolicyApiFromKubeconfig({ kubeconfig: `${a}${delimiter}${a}` }),
    'E_K8S_CONFIG',
    /lists several files/,
  );
});

test('a kubeconfig that does not load is reported by error name only, not by its contents', async () => {
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, `users:\n- name: u\n  user: {token: "${SECRET}\n  :: [unbalanced`);
  await refused(
    networkPolicyApiFromKubeconfig({ kubeconfig: broken }),
    'E_K8S_CONFIG',
    /could not be loaded \(\w+\)/,
  );
  await refused(
    networkPolicyApiFromKubeconfig({ kubeconfig: join(dir, 'absent.yaml') }),
    'E_K8S_CONFIG',
    /could not be loaded \(ENOENT\)/,
  );
});

test('a plain-http cluster and a cluster that skips TLS verification are refused', async () => {
  await refused(
    networkPolicyApiFromKubeconfig({
      kubeconfig: kubeconfig('http.yaml', 'server: "http://127.0.0.1:8080"', CURRENT),
    }),
    'E_K8S_CONFIG',
    /cluster "test-cluster": the server is not https, refused/,
  );
  await refused(
    networkPolicyApiFromKubeconfig({
      kubeconfig: kubeconfig(
        'skip.yaml',
        'server: "https://127.0.0.1:1", insecure-skip-tls-verify: true',
        CURRENT,
      ),
    }),
    'E_K8S_CONFIG',
    /insecure-skip-tls-verify is set, refused/,
  );
});

test('no current context, or an unknown --context, is refused', async () => {
  const noCurrent = kubeconfig('nocurrent.yaml', 'server: "https://127.0.0.1:1"');
  await refused(
    networkPolicyApiFromKubeconfig({ kubeconfig: noCurrent }),
    'E_K8S_CONFIG',
    /no current context/,
  );
  await refused(
    networkPolicyApiFromKubeconfig({ kubeconfig: noCurrent, context: 'prod' }),
    'E_K8S_CONFIG',
    /no context "prod"/,
  );
  const api = await networkPolicyApiFromKubeconfig({ kubeconfig: noCurrent, context: 'test-context' });
  assert.equal(api.cluster, 'context "test-context" (cluster "test-cluster")');
});

test('a refused connection is E_K8S_UNREACHABLE with the socket error code, and no credential', async () => {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  const path = kubeconfig('refused.yaml', 'server: "https://127.0.0.1:1"', CURRENT);
  const api = await networkPolicyApiFromKubeconfig({ kubeconfig: path });
  await refused(
    api.read('sj-01', 'carapace-isolate'),
    'E_K8S_UNREACHABLE',
    /^E_K8S_UNREACHABLE: reading NetworkPolicy sj-01\/carapace-isolate: no answer from the API server \(ECONNREFUSED\)$/,
  );
});

test('a server that never answers is abandoned after requestTimeoutMs', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => sockets.add(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  try {
    const path = kubeconfig('silent.yaml', `server: "https://127.0.0.1:${port}"`, CURRENT);
    const api = await networkPolicyApiFromKubeconfig({ kubeconfig: path, requestTimeoutMs: 200 });
    const started = Date.now();
    await refused(
      api.delete('sj-01', 'carapace-isolate'),
      'E_K8S_UNREACHABLE',
      /deleting NetworkPolicy sj-01\/carapace-isolate: no answer within 200 ms/,
    );
    assert.ok(Date.now() - started < 5000);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

test('an API error answer keeps the status and Status reason, and drops message, body and headers', () => {
  const body = JSON.stringify({
    kind: 'Status',
    status: 'Failure',
    reason: 'Forbidden',
    message: `networkpolicies is forbidden: token ${SECRET}`,
    code: 403,
  });
  const e = kubernetesErrorFrom(
    new ApiException(403, 'Unknown API Status Code!', body, { 'www-authenticate': `Bearer ${SECRET}` }),
    'creating NetworkPolicy sj-01/carapace-isolate',
  );
  assert.equal(e.code, 'E_K8S_API');
  assert.equal(e.httpStatus, 403);
  assert.equal(e.reason, 'Forbidden');
  assert.equal(
    e.message,
    'E_K8S_API: creating NetworkPolicy sj-01/carapace-isolate: the API server answered 403 Forbidden',
  );

  const unauthorized = kubernetesErrorFrom(new ApiException(401, 'Unauthorized', undefined, {}), 'reading x');
  assert.equal(unauthorized.message, 'E_K8S_API: reading x: the API server answered 401');
  const oddReason = kubernetesErrorFrom(
    new ApiException(409, 'x', JSON.stringify({ reason: `Bearer ${SECRET}` }), {}),
    'creating x',
  );
  assert.equal(oddReason.reason, undefined);
  assert.doesNotMatch(oddReason.message, /SECRET/);
});

test('an error that is not an answer keeps only a code or class name', () => {
  const cases: [unknown, string][] = [
    [
      Object.assign(new Error(`request to https://u:${SECRET}@h failed`), { code: 'ECONNRESET' }),
      'ECONNRESET',
    ],
    [Object.assign(new Error(SECRET), { name: 'AbortError' }), 'AbortError'],
    [new TypeError(SECRET), 'TypeError'],
    [SECRET, 'unknown error'],
    [{ code: `${SECRET} lower-case` }, 'unknown error'],
  ];
  for (const [error, label] of cases) {
    const e = kubernetesErrorFrom(error, 'doing');
    assert.equal(e.code, 'E_K8S_UNREACHABLE');
    assert.equal(e.message, `E_K8S_UNREACHABLE: doing: no answer from the API server (${label})`);
  }
});
