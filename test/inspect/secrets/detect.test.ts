// detectSecrets as a specification: each credential shape found with its exact span, placeholders and
// low-entropy values not reported, redaction through every strategy never leaving a secret behind.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  detectSecrets,
  detectSecretsInJson,
  isPlaceholder,
  type JsonValue,
  looksRandom,
  redactSecrets,
  redactSecretsInJson,
  type SecretType,
  shannonEntropy,
} from '../../../src/inspect/secrets/index.js';
import { FAKE } from './fake_keys.js';

function found(text: string): [SecretType, string][] {
  return detectSecrets(text, { includeText: true }).map((f) => [f.type, f.text ?? '']);
}

const PEM = (label: string, body: string): string =>
  `-----BEGIN ${label}-----\n${body}\n${body}\n-----END ${label}-----`;

test('cloud keys: AWS access key id and secret, Azure account key, GCP service-account private key', () => {
  assert.deepEqual(found(`aws_access_key_id = ${FAKE.awsAccessKeyId}`), [
    ['AWS_ACCESS_KEY_ID', FAKE.awsAccessKeyId],
  ]);
  assert.deepEqual(found(`aws_secret_access_key: "${FAKE.awsSecretAccessKey}"`), [
    ['AWS_SECRET_ACCESS_KEY', FAKE.awsSecretAccessKey],
  ]);
  const azure = `DefaultEndpointsProtocol=https;AccountName=testacct;AccountKey=${FAKE.azureAccountKey};EndpointSuffix=core.windows.net`;
  assert.deepEqual(found(azure), [['AZURE_KEY', FAKE.azureAccountKey]]);
  const pem = PEM('PRIVATE KEY', FAKE.gcpPrivateKeyBody).replace(/\n/g, '\\n');
  const gcp = `{"type": "service_account", "project_id": "test-project", "private_key": "${pem}\\n", "client_email": "x@test-project.iam.gserviceaccount.com"}`;
  assert.deepEqual(found(gcp), [['GCP_SERVICE_ACCOUNT_KEY', pem]]);
});

test('tokens: GitHub (classic and fine-grained), Slack, OpenAI-style, Anthropic, Stripe, JWT', () => {
  assert.deepEqual(found(`token ${FAKE.githubClassic}`), [['GITHUB_TOKEN', FAKE.githubClassic]]);
  assert.deepEqual(found(`GH_TOKEN=${FAKE.githubFineGrained}`), [['GITHUB_TOKEN', FAKE.githubFineGrained]]);
  assert.deepEqual(found(`slack ${FAKE.slackBot}`), [['SLACK_TOKEN', FAKE.slackBot]]);
  assert.deepEqual(found(`post to ${FAKE.slackWebhook}`), [['SLACK_WEBHOOK', FAKE.slackWebhook]]);
  assert.deepEqual(found(`OPENAI_API_KEY=${FAKE.openai}`), [['OPENAI_API_KEY', FAKE.openai]]);
  assert.deepEqual(found(`key ${FAKE.anthropic}`), [['ANTHROPIC_API_KEY', FAKE.anthropic]]);
  assert.deepEqual(found(`stripe ${FAKE.stripe}`), [['STRIPE_KEY', FAKE.stripe]]);
  assert.deepEqual(found(`Authorization: Bearer ${FAKE.jwt}`), [['JWT', FAKE.jwt]]);
});

test('a JWT needs a JSON header with alg: three base64url parts alone are not a JWT', () => {
  const header = Buffer.from('{"typ":"JWT"}').toString('base64url');
  const [, payload = '', signature = ''] = FAKE.jwt.split('.');
  assert.deepEqual(found(`${header}.${payload}.${signature}`), []);
});

test('PEM private keys of every kind, and a key cut before its END line', () => {
  for (const label of ['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']) {
    const pem = PEM(label, FAKE.pemBody);
    assert.deepEqual(found(`key:\n${pem}\nend`), [['PRIVATE_KEY', pem]], label);
  }
  const cut = `-----BEGIN RSA PRIVATE KEY-----\n${FAKE.pemBody}\n${FAKE.pemBody}`;
  assert.deepEqual(found(`${cut}`), [['PRIVATE_KEY', cut]]);
  assert.deepEqual(found('-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----'), []);
});

test('passwords in URLs and database connection strings: the password alone is the finding', () => {
  assert.deepEqual(found(`postgres://app:${FAKE.dbPassword}@db.internal:5432/app`), [
    ['DB_CONNECTION_STRING', FAKE.dbPassword],
  ]);
  assert.deepEqual(found(`mongodb+srv://svc:${FAKE.dbPassword}@cluster0.example.net/test`), [
    ['DB_CONNECTION_STRING', FAKE.dbPassword],
  ]);
  assert.deepEqual(found(`fetch https://deploy:${FAKE.dbPassword}@git.example.com/repo.git`), [
    ['URL_PASSWORD', FAKE.dbPassword],
  ]);
  assert.deepEqual(
    found(`Server=tcp:db.example.net,1433;Database=app;User Id=app;Password=${FAKE.dbPassword};`),
    [['DB_CONNECTION_STRING', FAKE.dbPassword]],
  );
  assert.deepEqual(found('https://example.com:8443/path and user@example.com'), []);
});

test('assignments: password and api-key style names; names that hold no secret are skipped', () => {
  assert.deepEqual(found(`DB_PASSWORD=${FAKE.dbPassword}`), [['PASSWORD', FAKE.dbPassword]]);
  assert.deepEqual(found(`"client_secret": "${FAKE.genericApiKey}"`), [
    ['GENERIC_API_KEY', FAKE.genericApiKey],
  ]);
  assert.deepEqual(found('token_type=bearer password_policy=strict secret_name=prod-db'), []);
});

test('placeholders and low-entropy values are not reported', () => {
  const placeholders = [
    ['s', 'k-', 'x'.repeat(40)].join(''),
    ['s', 'k-', 'proj-', 'abcdefghijklmnopqrstuvwxyz0123456789'].join(''),
    ['AK', 'IA', 'IOSFODNN7', 'EXAMPLE'].join(''),
    ['gh', 'p_', 'x'.repeat(36)].join(''),
    ['gh', 'p_', 'your_token_here_', 'x'.repeat(20)].join(''),
    'postgres://user:${DB_PASSWORD}@localhost/db',
    'mysql://root:<password>@localhost/db',
    'password=********',
    'api_key=YOUR_API_KEY_GOES_HERE_1234',
    'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  ];
  for (const p of placeholders) assert.deepEqual(found(`config: ${p}`), [], p);
});

test('entropy and placeholder checks', () => {
  assert.equal(shannonEntropy(''), 0);
  assert.equal(shannonEntropy('aaaa'), 0);
  assert.equal(shannonEntropy('abcd'), 2);
  assert.ok(looksRandom(FAKE.genericApiKey, 3.5));
  assert.ok(isPlaceholder('abababababab'));
  assert.ok(isPlaceholder('0123456789abcdef'));
  assert.ok(isPlaceholder('${SECRET}'));
  assert.ok(!isPlaceholder(FAKE.dbPassword));
});

const ALL = [
  `aws_access_key_id=${FAKE.awsAccessKeyId}`,
  `aws_secret_access_key=${FAKE.awsSecretAccessKey}`,
  `token ${FAKE.githubClassic}`,
  `OPENAI_API_KEY=${FAKE.openai}`,
  `Bearer ${FAKE.jwt}`,
  `postgres://app:${FAKE.dbPassword}@db/app`,
  PEM('RSA PRIVATE KEY', FAKE.pemBody),
  `slack ${FAKE.slackBot}`,
].join('\n');

test('no secret value appears in the output of any redaction strategy', () => {
  const secrets = detectSecrets(ALL, { includeText: true }).map((f) => f.text ?? '');
  assert.equal(secrets.length, 8);
  for (const strategy of ['placeholder', 'mask', 'hash', 'remove'] as const) {
    const { text } = redactSecrets(ALL, { strategy, hashKey: 'test-only-hmac-key-0123456789' });
    for (const s of secrets) {
      assert.ok(!text.includes(s), `${strategy} leaked a secret`);
      // Not even a long piece of it.
      for (let i = 0; i + 12 <= s.length; i += 6)
        assert.ok(!text.includes(s.slice(i, i + 12)) || /^[-\sA-Z]+$/.test(s.slice(i, i + 12)));
    }
  }
  assert.ok(redactSecrets(ALL).text.includes('aws_access_key_id=<AWS_ACCESS_KEY_ID>'));
});

test('JSON: credential-named fields are judged as assignments; the input is not modified', () => {
  const config: JsonValue = {
    user: 'app',
    password: FAKE.dbPassword,
    nested: [{ api_key: FAKE.genericApiKey }, { note: `token ${FAKE.githubClassic}` }],
  };
  const copy = structuredClone(config);
  const { value, findings } = redactSecretsInJson(config);
  assert.deepEqual(value, {
    user: 'app',
    password: '<PASSWORD>',
    nested: [{ api_key: '<GENERIC_API_KEY>' }, { note: 'token <GITHUB_TOKEN>' }],
  });
  assert.equal(findings.length, 3);
  assert.deepEqual(config, copy);
  assert.deepEqual(detectSecretsInJson({ password: '********', token_type: 'bearer' }), []);
});

test('detection is deterministic and offsets index the original text, through Unicode normalisation', () => {
  const text = `token ${FAKE.githubClassic.replace('TEST', 'ＴＥＳＴ')} end`;
  const a = detectSecrets(text, { includeText: true });
  assert.deepEqual(a, detectSecrets(text, { includeText: true }));
  assert.equal(a[0]?.type, 'GITHUB_TOKEN');
  assert.equal(text.slice(a[0]?.start, a[0]?.end), a[0]?.text);
  assert.ok(a[0]?.text?.includes('ＴＥＳＴ'));
});
