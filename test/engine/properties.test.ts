// Invariants over generated inputs: determinism, monotone composition and fail-closed behaviour.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  canonicalJson,
  classifyAction,
  DEMO_CATALOG,
  DETECTION_FIELDS,
  evaluate,
  INTENT_CLASSES,
  severity,
  TRUST_LEVELS,
} from '../../src/engine/index.js';

const TOOLS = [...DEMO_CATALOG.tools.keys()];
const ENTITY_IDS = [...DEMO_CATALOG.entities.keys()];
const CHUNK_IDS = ['c0', 'c1', 'c2', 'c3', 'c4'];
const ARG_NAMES = [
  'target',
  'source',
  'summary',
  'workload',
  'site',
  'vm_id',
  'target_node',
  'node_id',
  'percent',
  'vlan_id',
  'device_id',
];

const ids = (kind: string, role?: string) =>
  [...DEMO_CATALOG.entities.values()]
    .filter((e) => e.kind === kind && (role === undefined || e.role === role))
    .map((e) => e.id);
const one = (kind: string, role?: string) => fc.constantFrom(...ids(kind, role));
/** Arguments that fit each demo tool, so most generated requests get past classification. */
const VALID_ARGS: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  get_telemetry: fc.record({ target: fc.constantFrom(...ENTITY_IDS) }),
  read_logs: fc.record({ source: fc.constantFrom('syslog', 'edge-node-sj-01-03') }),
  propose_action: fc.record({ summary: fc.string({ minLength: 1 }) }),
  restart_workload: fc.record({ workload: fc.constantFrom('billing-api', 'dns'), site: one('site') }),
  migrate_vm: fc.record({ vm_id: one('vm'), target_node: one('node') }),
  throttle_power: fc.record({ node_id: one('node'), percent: fc.integer({ min: 0, max: 100 }) }),
  isolate_vlan: fc.record({ vlan_id: one('vlan') }),
  isolate_network_device: fc.record({ device_id: one('network_device') }),
  'network.isolate': fc.record({ device_id: one('network_device') }),
  quarantine_node: fc.record({ node_id: one('node') }),
};
const rarely = fc.constantFrom(false, false, false, false, false, false, true);
const junkArgs = fc.dictionary(
  fc.constantFrom(...ARG_NAMES),
  fc.oneof(fc.constantFrom(...ENTITY_IDS), fc.integer(), fc.string()),
  { maxKeys: 3 },
);
const chunk = (id: string) =>
  fc.record({ id: fc.constant(id), trust: fc.constantFrom(...TRUST_LEVELS), injection_suspected: rarely });
const chunks = fc.subarray(CHUNK_IDS).chain((ids) => fc.tuple(...ids.map(chunk)));
/** Citations mostly of chunks that exist, sometimes of one that does not. */
const citations = (known: string[]) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.subarray(known, {
        minLength: Math.min(1, known.length),
        maxLength: Math.min(3, known.length),
      }),
    },
    { weight: 1, arbitrary: fc.subarray([...CHUNK_IDS, 'ghost'], { maxLength: 3 }) },
  );
const envelope = (known: string[]) =>
  fc
    .oneof(
      { weight: 5, arbitrary: fc.constantFrom(...TOOLS) },
      { weight: 1, arbitrary: fc.constantFrom('format_all_disks', 'execute_shell') },
    )
    .chain((tool) =>
      fc
        .oneof({ weight: 6, arbitrary: VALID_ARGS[tool] ?? junkArgs }, { weight: 1, arbitrary: junkArgs })
        .chain((args) => {
          const c = classifyAction(DEMO_CATALOG, tool, args);
          const declared = c.ok
            ? fc.oneof(
                { weight: 3, arbitrary: fc.constant(c.intent) },
                { weight: 1, arbitrary: fc.constantFrom(...INTENT_CLASSES) },
              )
            : fc.constantFrom(...INTENT_CLASSES);
          return fc.record(
            {
              intent: declared,
              tool: fc.constant(tool),
              args: fc.constant(args),
              source_signals: citations(known),
              agent_confidence: fc.double({ min: 0, max: 1, noNaN: true }),
            },
            { requiredKeys: ['intent', 'tool', 'args', 'source_signals'] },
          );
        }),
    );

const VERDICTS = ['ALLOW', 'LOG', 'FLAG', 'HUMAN_REVIEW', 'RATE_LIMIT', 'DENY', 'QUARANTINE'] as const;
const DETECTIONS = DETECTION_FIELDS;
interface LtBlock {
  verdict: (typeof VERDICTS)[number];
  ingress: { detected: Record<string, number | boolean>; mismatches: { field: string; severity: string }[] };
}
// Mostly clean blocks, so that risk alone often decides: a fold that raised trust would show.
const ltBlock: fc.Arbitrary<LtBlock> = fc.record({
  verdict: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('ALLOW', 'LOG') },
    { weight: 2, arbitrary: fc.constantFrom(...VERDICTS) },
  ),
  ingress: fc.record({
    detected: fc.record({
      risk_score: fc.double({ min: 0, max: 1, noNaN: true }),
      ...Object.fromEntries(DETECTIONS.map((d) => [d, rarely])),
    }),
    mismatches: fc.array(
      fc.record({
        field: fc.constantFrom('intent', 'commands', 'paths'),
        severity: fc.constantFrom('info', 'info', 'warning', 'critical'),
      }),
      { maxLength: 1 },
    ),
  }),
});
const request = chunks.chain((cs) =>
  fc.record(
    {
      envelope: envelope(cs.map((c) => c.id)),
      chunks: fc.constant(cs),
      lobstertrap: ltBlock,
      provenance_mode: fc.constantFrom('session', 'cited_only'),
    },
    { requiredKeys: ['envelope', 'chunks'] },
  ),
);

/** A block with one more signal than `b`: a detection, more risk, an actionable mismatch, or a stronger verdict. */
const VERDICT_STRENGTH: Record<string, number> = {
  ALLOW: 0,
  LOG: 0,
  FLAG: 1,
  HUMAN_REVIEW: 1,
  RATE_LIMIT: 1,
  DENY: 2,
  QUARANTINE: 2,
};
const moreSignal = (b: LtBlock) =>
  fc.oneof(
    fc
      .constantFrom(...DETECTIONS)
      .map((d) => ({ ...b, ingress: { ...b.ingress, detected: { ...b.ingress.detected, [d]: true } } })),
    fc.double({ min: 0, max: 1, noNaN: true }).map((r) => ({
      ...b,
      ingress: {
        ...b.ingress,
        detected: { ...b.ingress.detected, risk_score: Math.max(r, b.ingress.detected.risk_score as number) },
      },
    })),
    fc.constantFrom('warning', 'critical').map((severity) => ({
      ...b,
      ingress: { ...b.ingress, mismatches: [...b.ingress.mismatches, { field: 'intent', severity }] },
    })),
    fc.constantFrom(...VERDICTS).map((v) => ({
      ...b,
      verdict: (VERDICT_STRENGTH[v] ?? 0) >= (VERDICT_STRENGTH[b.verdict] ?? 0) ? v : b.verdict,
    })),
  );

const decisionOf = (raw: unknown) => {
  const r = evaluate(raw);
  assert.ok(r.ok, r.ok ? '' : r.error.detail);
  return r.value;
};

function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .reverse()
        .map(([k, x]) => [k, reverseKeys(x)]),
    );
  return v;
}

test('determinism: the same request gives the same record, whatever its key order', () => {
  fc.assert(
    fc.property(request, (raw) => {
      const a = decisionOf(raw);
      const b = decisionOf(structuredClone(raw));
      const c = decisionOf(reverseKeys(raw));
      assert.equal(canonicalJson(a), canonicalJson(b));
      assert.equal(canonicalJson(a), canonicalJson(c));
    }),
    { numRuns: 1000 },
  );
});

test('monotone fold: adding any conversation-layer signal never lowers severity', () => {
  fc.assert(
    fc.property(
      request.chain((raw) =>
        fc.tuple(
          fc.constant(raw),
          ltBlock.chain((a) => fc.tuple(fc.constant(a), moreSignal(a))),
        ),
      ),
      ([raw, [a, b]]) => {
        const { lobstertrap: _, ...bare } = raw;
        const none = decisionOf(bare);
        const withA = decisionOf({ ...bare, lobstertrap: a });
        const withB = decisionOf({ ...bare, lobstertrap: { _lobstertrap: b } });
        assert.ok(
          severity(withA.decision) >= severity(none.decision),
          `${none.decision} → ${withA.decision}`,
        );
        assert.ok(
          severity(withB.decision) >= severity(withA.decision),
          `${withA.decision} → ${withB.decision}`,
        );
      },
    ),
    { numRuns: 2000 },
  );
});

test('monotone provenance: a more tainted chunk, cited or only seen in the session, never lowers severity', () => {
  fc.assert(
    fc.property(request, fc.constantFrom(...CHUNK_IDS), fc.constantFrom('lower', 'flag'), (raw, id, how) => {
      const present = raw.chunks.some((c) => c.id === id);
      const tainted = present
        ? raw.chunks.map((c) =>
            c.id !== id
              ? c
              : how === 'flag'
                ? { ...c, injection_suspected: true }
                : { ...c, trust: TRUST_LEVELS[Math.max(0, TRUST_LEVELS.indexOf(c.trust) - 1)] as string },
          )
        : [...raw.chunks, { id, trust: 'untrusted', injection_suspected: how === 'flag' }];
      const after = decisionOf({ ...raw, chunks: tainted, provenance_mode: 'session' });
      const sessionBefore = decisionOf({ ...raw, provenance_mode: 'session' });
      assert.ok(
        severity(after.decision) >= severity(sessionBefore.decision),
        `${sessionBefore.decision} → ${after.decision}`,
      );
    }),
    { numRuns: 1000 },
  );
});

test('fail closed: arbitrary JSON never throws, and whatever is allowed was classified and allowed by R7 or R8', () => {
  const check = (raw: unknown) => {
    const r = evaluate(raw);
    if (!r.ok) {
      assert.match(r.error.code, /^E_[A-Z_]+$/);
      assert.ok(r.error.error.length > 0 && r.error.detail.length > 0);
      return;
    }
    if (r.value.decision === 'ALLOW') {
      assert.ok(['R7', 'R8'].includes(r.value.rule), r.value.rule);
      assert.notEqual(r.value.inputs.detected_intent, null);
      assert.ok(r.value.tool !== null && DEMO_CATALOG.tools.has(r.value.tool));
    }
  };
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), check), { numRuns: 3000 });
  fc.assert(
    fc.property(fc.anything({ maxDepth: 4, withNullPrototype: true, withObjectString: true }), check),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(
      request,
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom('envelope', 'chunks', 'lobstertrap', 'provenance_mode', 'extra'),
      (raw, junk, where) => {
        check({ ...raw, [where]: junk });
        check({ ...raw, envelope: { ...raw.envelope, [where === 'extra' ? 'tool' : 'args']: junk } });
      },
    ),
    { numRuns: 2000 },
  );
});

test('fail closed: an unknown tool is never allowed, whatever else the request says', () => {
  fc.assert(
    fc.property(request, fc.string({ minLength: 1, maxLength: 40 }), (raw, tool) => {
      fc.pre(!DEMO_CATALOG.tools.has(tool));
      const r = evaluate({ ...raw, envelope: { ...raw.envelope, tool } });
      if (r.ok) assert.deepEqual([r.value.decision, r.value.rule], ['DENY', 'R9']);
    }),
    { numRuns: 1000 },
  );
});
