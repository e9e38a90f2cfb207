// `npm run bench -- engine`: latency of the decision engine on a mix of demo scenarios, and in the same
// run the same authorization question answered by Cedar (cedar-wasm) as the baseline.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_ENGINE,
  type DecisionRecord,
  decide,
  evaluate,
  type ParsedRequest,
  parseDecisionRequest,
} from '../src/engine/index.js';
import { checkCedarAgreesWithRuleset, createCedarAuthorizer } from './cedar_matrix.js';
import { type Percentiles, type TimingOptions, timeInterleaved } from './timing.js';

/** Issue 2's goal for decide(). */
const GOAL_P50_US = 5;
const GOAL_P99_US = 25;

export function runEngineBench(options: TimingOptions): void {
  const dir = fileURLToPath(new URL('../examples/scenarios/', import.meta.url));
  const scenarios = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.json$/, ''),
      raw: JSON.parse(readFileSync(`${dir}${f}`, 'utf8')) as unknown,
    }));
  const parsed: ParsedRequest[] = scenarios.map((s) => {
    const r = parseDecisionRequest(s.raw);
    if (!r.ok) throw new Error(`${s.name}: ${r.error.detail}`);
    return r.value;
  });

  // Cedar gets the same question with the five rule inputs already computed by Carapace (it has no
  // catalog, provenance or fold), so it does strictly less work per call than evaluate().
  const records = parsed.map((p) => decide(p, DEFAULT_ENGINE));
  const questions = records.filter((r) => r.inputs.detected_intent !== null);
  const agreement = checkCedarAgreesWithRuleset();
  const cedar = createCedarAuthorizer();
  for (const r of questions)
    if (cedar.allows(r.inputs as never, r.tool ?? 'unknown') !== (r.decision === 'ALLOW'))
      throw new Error(`Cedar and Carapace disagree on ${r.tool}: ${r.decision}`);

  console.log(
    `engine benchmark: ${scenarios.length} demo scenarios in rotation (${scenarios.map((s) => s.name).join(', ')})`,
  );
  console.log(
    `node ${process.version}; ${options.warmup} warm-up calls, then ${options.iterations} timed calls of each path (the two engine paths in interleaved rounds), each call timed with hrtime`,
  );
  console.log('');

  const [full, decideOnly] = timeInterleaved(options, [
    (i: number) => evaluate(scenarios[i % scenarios.length]?.raw),
    (i: number) => decide(parsed[i % parsed.length] as ParsedRequest, DEFAULT_ENGINE),
  ]) as [Percentiles, Percentiles];
  // Cedar runs in its own phase: interleaved with the engine in one process, Node 20.20.2's V8
  // sometimes aborted in its deoptimizer (docs/benchmarks.md).
  const [cedarTimes] = timeInterleaved(options, [
    (i: number) => {
      const r = questions[i % questions.length] as DecisionRecord;
      return cedar.allows(r.inputs as never, r.tool ?? 'unknown');
    },
  ]) as [Percentiles];

  const rows: [string, Percentiles][] = [
    ['carapace evaluate() (parse + decide, with hashes)', full],
    ['carapace decide() (request already parsed)', decideOnly],
    [`${cedar.version} statefulIsAuthorized (rule inputs given)`, cedarTimes],
  ];
  console.log(`${'path'.padEnd(62)}  p50 µs   p99 µs  p99.9 µs  mean µs`);
  for (const [name, p] of rows)
    console.log(
      `${name.padEnd(62)} ${p.p50.toFixed(2).padStart(7)}  ${p.p99.toFixed(2).padStart(7)}  ${p.p999.toFixed(2).padStart(8)}  ${p.mean.toFixed(2).padStart(7)}`,
    );
  console.log('');
  console.log(
    `Cedar agrees with the compiled ruleset on ${agreement.checked - agreement.disagreements.length}/${agreement.checked} rule-input combinations`,
  );
  console.log(
    `ratio Cedar / carapace p50: ${(cedarTimes.p50 / full.p50).toFixed(1)}x against evaluate(), ${(cedarTimes.p50 / decideOnly.p50).toFixed(1)}x against decide()`,
  );
  const verdict = (value: number, goal: number) =>
    `${value.toFixed(2)} µs (goal ${goal}: ${value <= goal ? 'met' : 'MISSED'})`;
  console.log(
    `decide()   p50 ${verdict(decideOnly.p50, GOAL_P50_US)}, p99 ${verdict(decideOnly.p99, GOAL_P99_US)}`,
  );
  console.log(`evaluate() p50 ${verdict(full.p50, GOAL_P50_US)}, p99 ${verdict(full.p99, GOAL_P99_US)}`);
  console.log(
    'published, not measured here: EnforceCore full path p50 56 µs / p99 892 µs (Python, its own hardware)',
  );
}
