// A secret's use policy: the defaults a policy gets (HTTPS, its default port, public addresses only),
// its normal form (the one sealed), and the policies refused outright.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VaultError } from '../../src/vault/errors.js';
import { parseSecretPolicy, policyAllowsHost, secretPolicyHash } from '../../src/vault/secret_policy.js';
import { githubPolicy } from './helpers.js';

test('a policy that says little gets the narrow defaults: https, port 443, public addresses, bounded limits', () => {
  const p = parseSecretPolicy(githubPolicy());
  assert.deepEqual(p.schemes, ['https']);
  assert.deepEqual(p.ports, [443]);
  assert.equal(p.addresses, 'public');
  assert.equal(p.inject.name, 'authorization');
  assert.deepEqual(p.limits, { req_bytes: 1048576, resp_bytes: 5242880, rpm: 60, timeout_ms: 20000 });
});

test('two spellings of one policy normalise to the same form and hash', () => {
  const a = parseSecretPolicy({ ...githubPolicy('API.GitHub.com'), methods: ['post', 'GET', 'get'] });
  const b = parseSecretPolicy({ ...githubPolicy('api.github.com'), methods: ['GET', 'POST'] });
  assert.deepEqual(a, b);
  assert.equal(secretPolicyHash(a), secretPolicyHash(b));
});

test('host rules: exact matches one name; subdomain matches names below it, not the name itself', () => {
  const p = parseSecretPolicy({ ...githubPolicy(), hosts: [{ match: 'subdomain', value: 'github.com' }] });
  assert.equal(policyAllowsHost(p, 'api.github.com'), true);
  assert.equal(policyAllowsHost(p, 'github.com'), false);
  assert.equal(policyAllowsHost(p, 'evilgithub.com'), false);
});

test('refused: unknown fields, injection into routing headers, a template without {secret}, limits above the ceilings', () => {
  const bad: [string, unknown][] = [
    ['unknown field', { ...githubPolicy(), follow_redirects: true }],
    ['Host', { ...githubPolicy(), inject: { kind: 'header', name: 'Host', template: '{secret}' } }],
    [
      'Proxy-Authorization',
      { ...githubPolicy(), inject: { kind: 'header', name: 'Proxy-Authorization', template: '{secret}' } },
    ],
    [
      'no placeholder',
      { ...githubPolicy(), inject: { kind: 'header', name: 'Authorization', template: 'Bearer' } },
    ],
    [
      'two placeholders',
      { ...githubPolicy(), inject: { kind: 'header', name: 'Authorization', template: '{secret}{secret}' } },
    ],
    [
      'line break',
      {
        ...githubPolicy(),
        inject: { kind: 'header', name: 'Authorization', template: 'Bearer {secret}\r\nX: y' },
      },
    ],
    ['method', { ...githubPolicy(), methods: ['CONNECT'] }],
    ['no hosts', { ...githubPolicy(), hosts: [] }],
    ['host with a path', { ...githubPolicy('api.github.com/x') }],
    ['ftp', { ...githubPolicy(), schemes: ['ftp'] }],
    ['huge response', { ...githubPolicy(), limits: { resp_bytes: 1e9 } }],
    ['long timeout', { ...githubPolicy(), limits: { timeout_ms: 600_000 } }],
    ['not an object', 'hosts: everything'],
  ];
  for (const [what, source] of bad)
    assert.throws(
      () => parseSecretPolicy(source),
      (e: unknown) => e instanceof VaultError && e.code === 'E_VAULT_POLICY_INVALID',
      what,
    );
});
