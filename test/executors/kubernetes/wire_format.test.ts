// What the real client puts on the wire, checked against a recording HTTPS listener on 127.0.0.1 (NOT a
// Kubernetes API server: it answers scripted statuses and proves nothing about a cluster's behaviour;
// live.test.ts does that). It pins the request paths, verbs and JSON body the executor's manifest becomes
// through @kubernetes/client-node, that the kubeconfig's CA and token are used, and how real client
// errors surface. The listener's certificate is made per run with the openssl command.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  isolationPolicy,
  KubernetesExecutor,
  KubernetesExecutorError,
  type NetworkPolicyApi,
  networkPolicyApiFromKubeconfig,
} from '../../../src/executors/kubernetes/index.js';
import { DECISION, isolateCall, mintFor, recordingTokenGate, RULESET } from './token_gate.js';

const TOKEN = 'wire-test-bearer-token-SECRET';
const COLLECTION = '/apis/networking.k8s.io/v1/namespaces/sj-01/networkpolicies';

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}
interface Answer {
  status: number;
  body: unknown;
}

const received: Received[] = [];
/** Scripted answers, taken in order; each test sets its own. */
let answers: ((r: Received) => Answer)[] = [];

const dir = mkdtempSync(join(tmpdir(), 'carapace-wire-'));
const certPath = join(dir, 'cert.pem');
const keyPath = join(dir, 'key.pem');
const made = spawnSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ],
  { encoding: 'utf8' },
);
if (made.status !== 0) throw new Error(`openssl could not make the listener's certificate: ${made.stderr}`);

const listener = createServer(
  { cert: readFileSync(certPath), key: readFileSync(keyPath) },
  (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      received.push(r);
      const answer = answers.shift()?.(r) ?? {
        status: 500,
        body: status(500, 'InternalError', 'no scripted answer'),
      };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  },
);

let api: NetworkPolicyApi;

before(async () => {
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as { port: number };
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: wire',
      `  cluster: {server: "https://127.0.0.1:${port}", certificate-authority-data: "${readFileSync(certPath).toString('base64')}"}`,
      'users:',
      `- name: wire-user`,
      `  user: {token: ${TOKEN}}`,
      'contexts:',
      '- name: wire',
      '  context: {cluster: wire, user: wire-user}',
      'current-context: wire',
    ].join('\n'),
  );
  api = await networkPolicyApiFromKubeconfig({ kubeconfig, requestTimeoutMs: 5000 });
});

after(() => new Promise<void>((resolve) => listener.close(() => resolve())));

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code };
}

/** Answers with the object sent, as an API server would after storing it. */
function stored(r: Received, code: number): Answer {
  const sent = r.body as { metadata: Record<string, unknown> };
  return {
    status: code,
    body: { ...sent, metadata: { ...sent.metadata, uid: 'uid-1', resourceVersion: '7' } },
  };
}

test('isolating sj-01 is one POST of exactly the manifest, as JSON, with the kubeconfig bearer token', async () => {
  received.length = 0;
  answers = [(r) => stored(r, 201)];
  const executor = new KubernetesExecutor({ api, gate: recordingTokenGate([]) });
  const call = isolateCall('spine-switch-sj-01');
  const { token, claims } = await mintFor(call);
  const outcome = await executor.execute(token, call);

  assert.equal(received.length, 1);
  const [post] = received;
  assert.equal(post?.method, 'POST');
  assert.equal(post?.url, COLLECTION);
  assert.equal(post?.authorization, `Bearer ${TOKEN}`);
  assert.match(post?.contentType ?? '', /^application\/json/);
  assert.deepEqual(
    post?.body,
    isolationPolicy('sj-01', { jti: claims.jti, decision: DECISION, ruleset: RULESET }),
  );
  assert.equal(outcome.details?.uid, 'uid-1');
  assert.equal(outcome.details?.resource_version, '7');
  assert.equal(outcome.details?.cluster, 'context "wire" (cluster "wire")');
});

test('the manifest without annotations goes on the wire as JSON equal to the pinned deny-all', async () => {
  received.length = 0;
  answers = [(r) => stored(r, 201)];
  await api.create(isolationPolicy('sj-01'));
  assert.deepEqual(received[0]?.body, {
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

test('an existing policy: POST answered 409 AlreadyExists, then PUT to the policy by name', async () => {
  received.length = 0;
  answers = [
    () => ({
      status: 409,
      body: status(409, 'AlreadyExists', 'networkpolicies "carapace-isolate" already exists'),
    }),
    (r) => stored(r, 200),
  ];
  const executor = new KubernetesExecutor({ api, gate: recordingTokenGate([]) });
  const call = isolateCall('spine-switch-sj-01');
  const outcome = await executor.execute((await mintFor(call)).token, call);
  assert.deepEqual(
    received.map((r) => [r.method, r.url]),
    [
      ['POST', COLLECTION],
      ['PUT', `${COLLECTION}/carapace-isolate`],
    ],
  );
  assert.deepEqual(received[1]?.body, received[0]?.body);
  assert.equal(outcome.details?.applied, 'replaced');
});

test('a 403 answer rejects with the status and reason, and without the server message or the token', async () => {
  received.length = 0;
  answers = [
    () => ({ status: 403, body: status(403, 'Forbidden', `user with token ${TOKEN} cannot create`) }),
  ];
  const executor = new KubernetesExecutor({ api, gate: recordingTokenGate([]) });
  const call = isolateCall('spine-switch-sj-01');
  await assert.rejects(executor.execute((await mintFor(call)).token, call), (e: unknown) => {
    assert.ok(e instanceof KubernetesExecutorError);
    assert.equal(
      e.message,
      'E_K8S_API: creating NetworkPolicy sj-01/carapace-isolate: the API server answered 403 Forbidden',
    );
    assert.equal(e.httpStatus, 403);
    return true;
  });
  assert.equal(received.length, 1, 'a refusal is not retried');
});

test('heal is one DELETE of the policy by name; a 404 answer means there was nothing to heal', async () => {
  received.length = 0;
  answers = [
    () => ({ status: 200, body: { kind: 'Status', apiVersion: 'v1', status: 'Success' } }),
    () => ({ status: 404, body: status(404, 'NotFound', 'networkpolicies "carapace-isolate" not found') }),
  ];
  const executor = new KubernetesExecutor({ api, gate: recordingTokenGate([]) });
  assert.equal((await executor.heal('sj-01')).removed, true);
  assert.equal((await executor.heal('sj-01')).removed, false);
  assert.deepEqual(
    received.map((r) => [r.method, r.url]),
    [
      ['DELETE', `${COLLECTION}/carapace-isolate`],
      ['DELETE', `${COLLECTION}/carapace-isolate`],
    ],
  );
});

test('a listener whose certificate the kubeconfig CA does not vouch for is not talked to', async () => {
  const other = join(dir, 'other-ca.yaml');
  const { port } = listener.address() as { port: number };
  // A different self-signed certificate as the CA: the listener's certificate does not chain to it.
  const otherCert = join(dir, 'other.pem');
  const otherKey = join(dir, 'other-key.pem');
  const again = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    otherKey,
    '-out',
    otherCert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
  ]);
  assert.equal(again.status, 0);
  writeFileSync(
    other,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: wire',
      `  cluster: {server: "https://127.0.0.1:${port}", certificate-authority-data: "${readFileSync(otherCert).toString('base64')}"}`,
      'users:',
      '- name: wire-user',
      `  user: {token: ${TOKEN}}`,
      'contexts:',
      '- name: wire',
      '  context: {cluster: wire, user: wire-user}',
      'current-context: wire',
    ].join('\n'),
  );
  received.length = 0;
  const untrusting = await networkPolicyApiFromKubeconfig({ kubeconfig: other, requestTimeoutMs: 5000 });
  await assert.rejects(untrusting.read('sj-01', 'carapace-isolate'), (e: unknown) => {
    assert.ok(e instanceof KubernetesExecutorError);
    assert.equal(e.code, 'E_K8S_UNREACHABLE');
    assert.doesNotMatch(e.message, /SECRET/);
    return true;
  });
  assert.equal(received.length, 0, 'no request reached the listener');
});
