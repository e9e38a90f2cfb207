// The stages compose monotonically: for any engine, inspect and policy verdicts, the final decision is
// the most severe of them, and it is named by the first stage (in pipeline order) that reached it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DECISIONS, mostSevere } from '../../src/engine/index.js';
import { composeStages } from '../../src/gateway/context.js';

const decision = fc.constantFrom(...DECISIONS);
const verdict = (who: string) =>
  decision.map((d) => ({ decision: d, rule: `${who}:${d}`, explanation: `${who} says ${d}` }));

test('the final decision is the most severe stage, named by the first stage to reach it', () => {
  fc.assert(
    fc.property(
      verdict('engine'),
      fc.constantFrom('ALLOW' as const, 'DENY' as const),
      fc.option(verdict('policy'), { nil: null }),
      (engine, inspectDecision, policy) => {
        const inspect =
          inspectDecision === 'ALLOW'
            ? { decision: inspectDecision, rule: null, explanation: null }
            : { decision: inspectDecision, rule: 'inspect:DENY', explanation: 'inspect says DENY' };
        const final = composeStages(engine, inspect, policy);
        const stages = [engine, inspect, ...(policy ? [policy] : [])];
        const worst = stages.map((s) => s.decision).reduce(mostSevere);
        assert.equal(final.decision, worst);
        // Never looser than any stage: each stage's decision is at most as severe as the final one.
        for (const s of stages) assert.equal(mostSevere(s.decision, final.decision), final.decision);
        const first = stages.find((s) => s.decision === worst);
        assert.equal(final.rule, first?.rule);
      },
    ),
    { numRuns: 2000 },
  );
});
