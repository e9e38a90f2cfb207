// The runtime trust score: slow gains, fast losses, and CAR's anti-gaming rules; the effective tier.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  applyTrustEvent,
  DEFAULT_TRUST_PARAMS,
  effectiveTier,
  initialTrustState,
  type TrustEvent,
  type TrustState,
} from '../../src/identity/trust_score.js';
import { TIER_BANDS, tierOfScore } from '../../src/identity/tiers.js';

const T = Date.parse('2026-12-07T03:14:00.000Z');
const MIN = 60_000;

function run(state: TrustState, events: [TrustEvent, number][]): { state: TrustState; kinds: string[] } {
  const kinds: string[] = [];
  for (const [event, at] of events) {
    const next = applyTrustEvent(state, event, at);
    state = next.state;
    kinds.push(...next.notes.map((n) => n.kind));
  }
  return { state, kinds };
}

const completed = (intent = 'remediate_reversible'): TrustEvent => ({ type: 'completed', intent });

test('the tier bands cover 0 to 1000 without gaps, as DESIGN.md §8 sets them', () => {
  assert.deepEqual(
    TIER_BANDS.map((b) => [b.tier, b.min, b.max]),
    [
      ['T0', 0, 199],
      ['T1', 200, 349],
      ['T2', 350, 499],
      ['T3', 500, 649],
      ['T4', 650, 799],
      ['T5', 800, 875],
      ['T6', 876, 950],
      ['T7', 951, 1000],
    ],
  );
  for (const b of TIER_BANDS) assert.equal(tierOfScore(b.min), b.tier);
  for (const b of TIER_BANDS) assert.equal(tierOfScore(b.max), b.tier);
});

test('an agent starts at the floor of its certified tier; gains are slow and a denial takes far more', () => {
  const start = initialTrustState('T3', T);
  assert.equal(start.score, 500);
  const gained = applyTrustEvent(start, completed(), T).state.score - 500;
  assert.ok(gained > 0 && gained < 1, `one clean action gains ${gained}`);
  const lost = 500 - applyTrustEvent(start, { type: 'denied' }, T).state.score;
  assert.ok(lost >= 10 * gained, `a denial loses ${lost}, ${lost / gained}× a gain`);
  const quarantine = 500 - applyTrustEvent(start, { type: 'quarantined' }, T).state.score;
  assert.ok(quarantine > lost);
  const observe = applyTrustEvent(start, completed('observe'), T).state.score - 500;
  assert.ok(observe < gained, 'observing earns less than remediating');
});

test('after a loss no gain counts until the cool-down ends', () => {
  const { state } = run(initialTrustState('T3', T), [[{ type: 'denied' }, T]]);
  const during = applyTrustEvent(state, completed(), T + DEFAULT_TRUST_PARAMS.cooldownMs - 1).state;
  assert.equal(during.score, state.score);
  const after = applyTrustEvent(state, completed(), T + DEFAULT_TRUST_PARAMS.cooldownMs).state;
  assert.ok(after.score > state.score);
});

test('a sudden rise is held for an admin: no more gains until accepted, and both are recorded', () => {
  let state = initialTrustState('T3', T);
  const kinds: string[] = [];
  let i = 0;
  while (!state.held && i < 10_000) {
    const next = applyTrustEvent(state, completed(), T + i);
    state = next.state;
    kinds.push(...next.notes.map((n) => n.kind));
    i++;
  }
  assert.ok(state.held, 'a rise of more than 50 points within the hour is held');
  assert.ok(state.score - 500 <= DEFAULT_TRUST_PARAMS.jump.points);
  assert.ok(kinds.includes('trust.jump_held'));
  const frozen = applyTrustEvent(state, completed(), T + i + 1).state;
  assert.equal(frozen.score, state.score);
  const accepted = applyTrustEvent(state, { type: 'jump_accepted' }, T + i + 2);
  assert.deepEqual(
    accepted.notes.map((n) => n.kind),
    ['trust.jump_accepted'],
  );
  assert.ok(applyTrustEvent(accepted.state, completed(), T + i + 3).state.score > state.score);
});

test('a score that reverses direction three times within a day caps the tier it can reach', () => {
  const after = DEFAULT_TRUST_PARAMS.cooldownMs;
  const { state, kinds } = run(initialTrustState('T4', T), [
    [completed(), T],
    [{ type: 'denied' }, T + MIN],
    [completed(), T + MIN + after],
    [{ type: 'denied' }, T + 2 * MIN + after],
  ]);
  assert.ok(kinds.includes('trust.oscillation_capped'));
  assert.ok(state.cap);
  const tier = effectiveTier('T4', { ...state, score: 700 }, false, T + 3 * MIN + after);
  assert.equal(tier.tier, state.cap.tier);
  assert.match(tier.limits.join('; '), /oscillating/);
  const later = effectiveTier('T4', { ...state, score: 700 }, false, state.cap.until);
  assert.equal(later.tier, 'T4', 'the cap ends');
});

test('rapid context switching resets the behaviour score to where the agent started', () => {
  let state = initialTrustState('T3', T);
  for (let i = 0; i < 20; i++) state = applyTrustEvent(state, completed(), T + i).state;
  assert.ok(state.score > 500);
  const reset = applyTrustEvent(state, { type: 'context_reset' }, T + 100);
  assert.equal(reset.state.score, 500);
  assert.equal(reset.notes[0]?.kind, 'trust.context_reset');
});

test('the effective tier is the lowest of certified and runtime, and T5 or above needs an attestation', () => {
  const at = (score: number) => ({ ...initialTrustState('T7', T), score });
  assert.equal(effectiveTier('T3', at(900), true, T).tier, 'T3');
  assert.equal(effectiveTier('T7', at(560), true, T).tier, 'T3');
  const unattested = effectiveTier('T7', at(990), false, T);
  assert.equal(unattested.tier, 'T4');
  assert.match(unattested.limits.join(';'), /attestation/);
  assert.equal(effectiveTier('T7', at(990), true, T).tier, 'T7');
});

test('an admin certification raises the score to its floor; a lower one leaves the score', () => {
  const start = initialTrustState('T1', T);
  const raised = applyTrustEvent(start, { type: 'certified', tier: 'T4' }, T).state;
  assert.equal(raised.score, 650);
  const lowered = applyTrustEvent(raised, { type: 'certified', tier: 'T2' }, T).state;
  assert.equal(lowered.score, 650);
  assert.equal(effectiveTier('T2', lowered, false, T).tier, 'T2');
});

const events = fc.oneof(
  fc.constantFrom<TrustEvent>(
    { type: 'denied' },
    { type: 'quarantined' },
    { type: 'breaker' },
    { type: 'review_rejected' },
    { type: 'context_reset' },
    { type: 'jump_accepted' },
    { type: 'completed', intent: 'observe' },
    { type: 'completed', intent: 'remediate_destructive' },
  ),
  fc.constantFrom('T0', 'T3', 'T7').map((tier) => ({ type: 'certified', tier }) as TrustEvent),
);

test('property: for any history the score stays in 0..1000, losses never raise it, and it is deterministic', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(events, fc.integer({ min: 0, max: 7 * 24 * 3600_000 })), { maxLength: 60 }),
      (history) => {
        const sorted = history
          .map(([e, dt]) => [e, T + dt] as [TrustEvent, number])
          .sort((a, b) => a[1] - b[1]);
        let state = initialTrustState('T3', T);
        for (const [event, at] of sorted) {
          const next = applyTrustEvent(state, event, at);
          assert.deepEqual(
            applyTrustEvent(state, event, at),
            next,
            'the same state and event give the same result',
          );
          assert.ok(next.state.score >= 0 && next.state.score <= 1000);
          if (['denied', 'quarantined', 'breaker', 'review_rejected', 'context_reset'].includes(event.type))
            assert.ok(next.state.score <= state.score, `${event.type} raised the score`);
          state = next.state;
        }
      },
    ),
    { numRuns: 300 },
  );
});
