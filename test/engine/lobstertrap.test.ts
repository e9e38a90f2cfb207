// The conversation-layer fold, against the Lobster Trap response contract (reference/origins.md §1.6, §1.10).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  extractLobsterTrapBlock,
  foldConversationSignal,
  parseLobsterTrapBlock,
} from '../../src/engine/index.js';

const read = (payload: unknown) => parseLobsterTrapBlock(extractLobsterTrapBlock(payload));
const riskBlock = (risk: number) => ({
  verdict: 'ALLOW',
  ingress: { detected: { risk_score: risk }, action: 'ALLOW' },
});

test('a whole chat completion response and its bare _lobstertrap block read the same', () => {
  const block = {
    request_id: 'req-1',
    verdict: 'DENY',
    ingress: {
      detected: { risk_score: 0.8, contains_injection_patterns: true },
      action: 'DENY',
      rule_name: 'block_prompt_injection',
    },
  };
  const whole = {
    id: 'lobstertrap-deny',
    object: 'chat.completion',
    choices: [
      { index: 0, message: { role: 'assistant', content: '[LOBSTER TRAP] Blocked' }, finish_reason: 'stop' },
    ],
    _lobstertrap: block,
  };
  assert.deepEqual(read(whole), read(block));
  assert.equal(read(block).verdict, 'DENY');
  assert.deepEqual(read(block).detections, ['contains_injection_patterns']);
});

test('a chat response without _lobstertrap, null and undefined mean no conversation-layer signal', () => {
  for (const payload of [
    undefined,
    null,
    { id: 'chatcmpl-1', object: 'chat.completion', choices: [] },
    { _lobstertrap: null },
  ]) {
    const signal = read(payload);
    assert.equal(signal.present, false);
    assert.deepEqual(foldConversationSignal('trusted', false, signal), {
      trust: 'trusted',
      injection_flag: false,
      corroborates: false,
      notes: [],
    });
  }
});

test('risk and detections are the max and OR over ingress and egress; verdict falls back to the stage actions', () => {
  const signal = read({
    ingress: { detected: { risk_score: 0.2, contains_pii: true }, action: 'LOG' },
    egress: { detected: { risk_score: 0.45, contains_credentials: true }, action: 'DENY' },
  });
  assert.equal(signal.risk_score, 0.45);
  assert.deepEqual(signal.detections, ['contains_credentials', 'contains_pii']);
  assert.equal(signal.verdict, 'LOG', 'ingress action comes before egress action');
  assert.equal(read({ egress: { action: 'quarantine' } }).verdict, 'QUARANTINE');
});

test('risk at or above 0.6 makes provenance untrusted', () => {
  for (const risk of [0.6, 0.75, 1])
    assert.equal(foldConversationSignal('trusted', false, read(riskBlock(risk))).trust, 'untrusted');
});

test('risk in [0.3, 0.6) lowers provenance one notch', () => {
  for (const risk of [0.3, 0.45, 0.5999]) {
    assert.equal(foldConversationSignal('trusted', false, read(riskBlock(risk))).trust, 'semi_trusted');
    assert.equal(foldConversationSignal('semi_trusted', false, read(riskBlock(risk))).trust, 'untrusted');
    assert.equal(foldConversationSignal('untrusted', false, read(riskBlock(risk))).trust, 'untrusted');
  }
});

test('risk below 0.3 with an ALLOW verdict changes nothing', () => {
  const fold = foldConversationSignal('trusted', false, read(riskBlock(0.2999)));
  assert.deepEqual(fold, { trust: 'trusted', injection_flag: false, corroborates: false, notes: [] });
});

test('each taint detection sets the injection flag; PII alone does not', () => {
  for (const field of [
    'contains_injection_patterns',
    'contains_obfuscation',
    'contains_exfiltration',
    'contains_credentials',
    'contains_role_impersonation',
    'contains_malware_request',
  ]) {
    const fold = foldConversationSignal(
      'trusted',
      false,
      read({ verdict: 'ALLOW', ingress: { detected: { [field]: true } } }),
    );
    assert.equal(fold.injection_flag, true, field);
  }
  const pii = foldConversationSignal(
    'trusted',
    false,
    read({ verdict: 'ALLOW', ingress: { detected: { contains_pii: true } } }),
  );
  assert.equal(pii.injection_flag, false);
});

test('blocking verdicts set the flag; only DENY and QUARANTINE corroborate', () => {
  for (const verdict of ['DENY', 'QUARANTINE', 'HUMAN_REVIEW', 'RATE_LIMIT', 'deny']) {
    const fold = foldConversationSignal('trusted', false, read({ verdict }));
    assert.equal(fold.injection_flag, true, verdict);
    assert.equal(fold.corroborates, ['DENY', 'QUARANTINE'].includes(verdict.toUpperCase()), verdict);
  }
  for (const verdict of ['ALLOW', 'LOG'])
    assert.equal(foldConversationSignal('trusted', false, read({ verdict })).injection_flag, false);
});

test('an unknown verdict fails closed: it sets the flag without corroborating', () => {
  // Kush614/Carapace's demo synthesised verdict "FLAG", which no Lobster Trap emits.
  const fold = foldConversationSignal('trusted', false, read({ verdict: 'FLAG' }));
  assert.equal(fold.injection_flag, true);
  assert.equal(fold.corroborates, false);
});

test('mismatches: info is dropped, critical and warning set the flag and corroborate', () => {
  const info = read({
    verdict: 'ALLOW',
    ingress: { mismatches: [{ field: 'paths', declared: [], detected: ['/tmp'], severity: 'info' }] },
  });
  assert.deepEqual(info.mismatches, []);
  assert.equal(foldConversationSignal('trusted', false, info).injection_flag, false);

  const critical = read({
    verdict: 'ALLOW',
    ingress: {
      mismatches: [{ field: 'intent', declared: 'general', detected: 'system', severity: 'critical' }],
    },
  });
  assert.deepEqual(critical.mismatches, ['intent (critical)']);
  const fold = foldConversationSignal('trusted', false, critical);
  assert.equal(fold.injection_flag, true);
  assert.equal(fold.corroborates, true);

  const topLevel = read({ verdict: 'ALLOW', mismatches: [{ field: 'domains', severity: 'warning' }] });
  assert.deepEqual(topLevel.mismatches, ['domains (warning)']);
});

test('corroboration comes from injection, obfuscation or exfiltration, not from credentials alone', () => {
  for (const field of ['contains_injection_patterns', 'contains_obfuscation', 'contains_exfiltration'])
    assert.equal(
      foldConversationSignal('trusted', false, read({ ingress: { detected: { [field]: true } } }))
        .corroborates,
      true,
      field,
    );
  assert.equal(
    foldConversationSignal('trusted', false, read({ ingress: { detected: { contains_credentials: true } } }))
      .corroborates,
    false,
  );
});

test('a malformed block fails closed: untrusted, flag set, no corroboration', () => {
  for (const block of [
    'DENY',
    [1, 2],
    { verdict: 7 },
    { ingress: 'x' },
    { ingress: { detected: { risk_score: 'high' } } },
    { ingress: { detected: { risk_score: 1.5 } } },
    { ingress: { detected: { risk_score: -0.1 } } },
    { ingress: { detected: { contains_injection_patterns: 'yes' } } },
    { ingress: { mismatches: [{ field: 'intent' }] } },
    { ingress: { mismatches: 'none' } },
  ]) {
    const signal = read({ _lobstertrap: block });
    assert.equal(signal.present, true, JSON.stringify(block));
    assert.notEqual(signal.malformed, null, JSON.stringify(block));
    const fold = foldConversationSignal('trusted', false, signal);
    assert.deepEqual(
      [fold.trust, fold.injection_flag, fold.corroborates],
      ['untrusted', true, false],
      JSON.stringify(block),
    );
  }
});

test('the fold never raises trust and never clears the flag', () => {
  const clean = read({ verdict: 'ALLOW', ingress: { detected: { risk_score: 0 } } });
  assert.deepEqual(foldConversationSignal('untrusted', true, clean), {
    trust: 'untrusted',
    injection_flag: true,
    corroborates: false,
    notes: [],
  });
});
