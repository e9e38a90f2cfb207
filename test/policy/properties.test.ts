// Properties of the policy module over random policies and inputs (EnforceCore's P1-P8 and ours):
// determinism, deny wins, an empty allowlist is closed, extends never loosens, a verdict for every input,
// and name tricks do not get past a deny list.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DECISIONS, severity } from '../../src/engine/vocabulary.js';
import {
  type CompiledPolicy,
  compilePolicy,
  evaluatePolicy,
  type PolicyInput,
  requiredCounters,
  TRUST_TIERS,
} from '../../src/policy/index.js';
import { CONFUSABLE_TABLES } from '../../src/policy/tool_name.js';

const TOOLS = ['alpha', 'bravo', 'charlie', 'delta'];
const RUNS = { numRuns: 200 };

const toolList = fc.uniqueArray(fc.constantFrom(...TOOLS, '*'), { minLength: 1, maxLength: 3 });
const tier = fc.constantFrom(...TRUST_TIERS);

/** A random YAML-shaped policy document over a small universe, so rules and inputs meet often. */
const policyDoc = (name: string) =>
  fc
    .record(
      {
        tools: fc.record(
          {
            allow: fc.uniqueArray(fc.constantFrom(...TOOLS), { maxLength: 3 }),
            deny: fc.uniqueArray(fc.constantFrom(...TOOLS), { maxLength: 2 }),
            review: fc.uniqueArray(fc.constantFrom(...TOOLS), { maxLength: 2 }),
          },
          { requiredKeys: [] },
        ),
        grants: fc.record(
          { agents: fc.dictionary(fc.constantFrom('x', 'y'), toolList, { maxKeys: 2 }) },
          { requiredKeys: [] },
        ),
        min_tier: fc.array(fc.record({ tools: toolList, tier }), { maxLength: 2 }),
        arguments: fc.array(
          fc.record({ tools: toolList, arg: fc.constant('n'), maximum: fc.integer({ min: 0, max: 10 }) }),
          { maxLength: 2 },
        ),
        windows: fc.array(
          fc.record({
            tools: toolList,
            zone: fc.constantFrom('UTC', 'America/New_York', 'Asia/Kolkata'),
            days: fc.uniqueArray(fc.constantFrom('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'), {
              minLength: 1,
            }),
            start: fc.constantFrom('00:00', '08:00', '12:30'),
            end: fc.constantFrom('13:00', '18:00', '24:00'),
          }),
          { maxLength: 2 },
        ),
        rate_limits: fc.array(
          fc.record({
            tools: toolList,
            max_calls: fc.integer({ min: 0, max: 5 }),
            window_seconds: fc.constantFrom(60, 3600),
            per: fc.constantFrom('agent', 'tool', 'global'),
          }),
          { maxLength: 2 },
        ),
        data: fc.array(
          fc.record({
            tools: toolList,
            direction: fc.constantFrom('input', 'output'),
            types: fc.uniqueArray(fc.constantFrom('PII', 'SECRET', 'CREDIT_CARD'), { minLength: 1 }),
            action: fc.constantFrom('redact', 'deny', 'allow'),
          }),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: [] },
    )
    .map((doc) => ({ name, ...doc }));

function compileData(data: unknown, resolve?: (n: string) => unknown): CompiledPolicy {
  const r = compilePolicy(
    { format: 'data', data },
    resolve ? { resolve: (n) => ({ format: 'data', data: resolve(n) }) } : {},
  );
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

const inputSeed = fc.record({
  tool: fc.constantFrom(...TOOLS),
  agent: fc.constantFrom('x', 'y'),
  role: fc.constantFrom('r1', null),
  tier,
  now_ms: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
  n: fc.integer({ min: 0, max: 12 }),
  count: fc.integer({ min: 0, max: 6 }),
  inputTypes: fc.uniqueArray(fc.constantFrom('CREDIT_CARD', 'EMAIL_ADDRESS', 'AWS_ACCESS_KEY')),
});
type Seed = typeof inputSeed extends fc.Arbitrary<infer T> ? T : never;

/** An input with every counter any of `policies` needs, so counters never decide by their absence. */
function makeInput(seed: Seed, policies: CompiledPolicy[]): PolicyInput {
  const counters: Record<string, number> = {};
  for (const p of policies)
    for (const c of requiredCounters(p, seed.tool, seed.agent)) counters[c.key] = seed.count;
  return {
    tool: seed.tool,
    args: { n: seed.n },
    agent: seed.agent,
    role: seed.role,
    tier: seed.tier,
    now_ms: seed.now_ms,
    counters,
    findings: { input: { types: seed.inputTypes } },
  };
}

test('determinism: the same document compiles to the same hash, and the same input to the same verdict', () => {
  fc.assert(
    fc.property(policyDoc('p'), inputSeed, (doc, seed) => {
      const a = compileData(doc);
      const b = compileData(structuredClone(doc));
      assert.equal(a.hash, b.hash);
      const i = makeInput(seed, [a]);
      assert.deepEqual(evaluatePolicy(a, i), evaluatePolicy(b, structuredClone(i)));
    }),
    RUNS,
  );
});

test('determinism of English: the same text compiles to the same hash', () => {
  const sentence = fc.oneof(
    fc.constantFrom(...TOOLS).map((t) => `Never allow ${t}.`),
    fc.constantFrom(...TOOLS).map((t) => `Require human review for ${t}.`),
    fc
      .tuple(fc.constantFrom(...TOOLS), fc.integer({ min: 1, max: 99 }))
      .map(([t, n]) => `Limit ${t} to ${n} calls per hour per agent.`),
    fc
      .tuple(fc.integer({ min: 0, max: 7 }), fc.constantFrom(...TOOLS))
      .map(([n, t]) => `Agents below T${n} may not call ${t}.`),
  );
  fc.assert(
    fc.property(fc.array(sentence, { maxLength: 8 }), (sentences) => {
      const text = sentences.join('\n');
      const a = compilePolicy({ format: 'english', text });
      const b = compilePolicy({ format: 'english', text });
      assert.ok(a.ok && b.ok);
      assert.equal(a.value.hash, b.value.hash);
    }),
    RUNS,
  );
});

test('deny wins: a tool on a deny list is denied whatever else the policy says', () => {
  fc.assert(
    fc.property(policyDoc('p'), inputSeed, (doc, seed) => {
      const p = compileData({
        ...doc,
        tools: { ...doc.tools, deny: [...(doc.tools?.deny ?? []), seed.tool] },
      });
      assert.equal(evaluatePolicy(p, makeInput(seed, [p])).decision, 'DENY');
    }),
    RUNS,
  );
});

test('an empty allowlist, when declared, is closed', () => {
  fc.assert(
    fc.property(policyDoc('p'), inputSeed, (doc, seed) => {
      const p = compileData({ ...doc, tools: { ...doc.tools, allow: [] } });
      assert.equal(evaluatePolicy(p, makeInput(seed, [p])).decision, 'DENY');
    }),
    RUNS,
  );
});

test('extends never loosens: A extended by B is at least as severe as A and as B, for every input', () => {
  fc.assert(
    fc.property(policyDoc('a'), policyDoc('b'), inputSeed, (a, b, seed) => {
      const pa = compileData(a);
      const pb = compileData(b);
      const merged = compileData({ ...a, extends: 'b' }, () => b);
      const i = makeInput(seed, [merged]);
      const dm = evaluatePolicy(merged, i).decision;
      const da = evaluatePolicy(pa, i).decision;
      const db = evaluatePolicy(pb, i).decision;
      assert.ok(severity(dm) >= severity(da), `A gives ${da}, A+B gives ${dm}`);
      assert.ok(severity(dm) >= severity(db), `B gives ${db}, A+B gives ${dm}`);
      if (da === 'DENY') assert.equal(dm, 'DENY');
    }),
    RUNS,
  );
});

test('every input gets a verdict: arbitrary values never throw', () => {
  const p = compileData({
    name: 'p',
    tools: { deny: ['alpha'] },
    rate_limits: [{ tools: ['*'], max_calls: 3, window_seconds: 60, per: 'agent' }],
    domains: [{ tools: ['*'], allow: ['.example.com'] }],
    arguments: [{ tools: ['bravo'], arg: 'p', path_prefix: '/srv' }],
  });
  fc.assert(
    fc.property(
      fc.record(
        {
          tool: fc.oneof(fc.string(), fc.anything()),
          args: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.anything()),
          agent: fc.oneof(fc.string(), fc.anything()),
          role: fc.oneof(fc.constant(null), fc.string(), fc.anything()),
          tier: fc.oneof(tier, fc.anything()),
          now_ms: fc.oneof(fc.integer(), fc.double(), fc.anything()),
          counters: fc.oneof(fc.dictionary(fc.string(), fc.double()), fc.anything()),
          findings: fc.anything(),
        },
        { requiredKeys: [] },
      ),
      (raw) => {
        const v = evaluatePolicy(p, raw as unknown as PolicyInput);
        assert.ok((DECISIONS as readonly string[]).includes(v.decision));
        if (v.decision !== 'ALLOW')
          assert.ok(v.fired.length > 0, 'a verdict other than ALLOW names a reason');
      },
    ),
    RUNS,
  );
});

const HOMOGLYPH: Record<string, string[]> = {};
for (const [from, to] of Object.entries({ ...CONFUSABLE_TABLES.upper, ...CONFUSABLE_TABLES.lower }))
  (HOMOGLYPH[to.toLowerCase()] ??= []).push(from);

test('homoglyph, case, width and invisible-character variants of a denied tool are denied', () => {
  const p = compileData({ name: 'p', tools: { deny: ['execute_shell', 'search_web'] } });
  const variant = (name: string) =>
    fc
      .array(fc.integer({ min: 0, max: 4 }), { minLength: name.length, maxLength: name.length })
      .map((choices) =>
        [...name]
          .map((c, i) => {
            const pick = choices[i] ?? 0;
            const glyphs = HOMOGLYPH[c] ?? [];
            if (pick === 1) return c.toUpperCase();
            if (pick === 2 && glyphs.length > 0) return glyphs[i % glyphs.length];
            if (pick === 3 && /[a-z]/.test(c)) return String.fromCodePoint(0xff41 + c.charCodeAt(0) - 97);
            if (pick === 4) return `${c}\u200b`;
            return c;
          })
          .join(''),
      );
  fc.assert(
    fc.property(fc.oneof(variant('execute_shell'), variant('search_web')), (tool) => {
      const v = evaluatePolicy(p, {
        tool,
        args: {},
        agent: 'x',
        role: null,
        tier: 'T7',
        now_ms: 0,
        counters: {},
      });
      assert.equal(v.decision, 'DENY', JSON.stringify(tool));
    }),
    RUNS,
  );
});
