// `npm run bench -- engine`: latency of the decision engine on a mix of demo scenarios, and in the same
// run the same authorization question answered by Cedar (cedar-wasm) as the baseline.

import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ENGINE, type ParsedRequest, decide, evaluate, parseDecisionRequest } from '../src/engine/index.js';
import { checkCedarAgreesWithRuleset, createCedarAuthorizer } from './cedar_matrix.js';
import { type Percentiles, percentiles, timeEach } from './timing.js';

const GOAL_P50_US = 5;
const GOAL_P99_US = 25;

export function runEngineBench(options: { iterations: number; warmup: number }): void {
  const dir = fileURLToPath(new URL('../examples/scenarios/', import.meta.url));
  const scenarios = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), raw: JSON.parse(readFileSync(`${dir}${f}`, 'utf8')) as unknown }));
  const parsed: ParsedRequest[] = scenarios.map((s) => {
    const r = parseDecisionRequest(s.raw);
    if (!r.ok) throw new Error(`${s.name}: ${r.error.detail}`);
    return r.value;
  });

  console.log(`engine benchmark: ${scenarios.length} demo scenarios in rotation (${scenarios.map((s) => s.name).join(', ')})`);
  console.log(`node ${process.version}, ${options.warmup} warm-up then ${options.iterations} timed calls each, per-call hrtime`);
  console.log('');

  const full = timeEach(options, (i) => evaluate(scenarios[i % scenarios.length]?.raw));
  const decideOnly = timeEach(options, (i) => decide(parsed[i % parsed.length] as ParsedRequest, DEFAULT_ENGINE));

  // Cedar gets the same question with the five rule inputs already computed by Carapace (it has no
  // catalog, provenance or fold), so it does strictly less work per call than evaluate().
  const records = parsed.map((p) => decide(p, DEFAULT_ENGINE));
  const questions = records.filter((r) => r.inputs.detected_intent !== null);
  const agreement = checkCedarAgreesWithRuleset();
  const cedar = createCedarAuthorizer();
  for (const r of questions)
    if (cedar.allows(r.inputs as never, r.tool ?? 'unknown') !== (r.decision === 'ALLOW'))
      throw new Error(`Cedar and Carapace disagree on ${r.tool}: ${r.decision}`);
  const cedarTimes = timeEach(options, (i) => {
    const r = questions[i % questions.length];
    if (r) cedar.allows(r.inputs as never, r.tool ?? 'unknown');
  });

  const rows: [string, Percentiles][] = [
    ['carapace evaluate() (parse + decide + hashes)', full],
    ['carapace decide() (request already parsed)', decideOnly],
    [`${cedar.version} statefulIsAuthorized (rule inputs given)`, cedarTimes],
  ];
  console.log('path                                                      p50 µs   p99 µs  p99.9 µs  mean µs');
  for (const [name, p] of rows)
    console.log(
      `${name.padEnd(56)} ${p.p50.toFixed(2).padStart(7)}  ${p.p99.toFixed(2).padStart(7)}  ${p.p999.toFixed(2).padStart(8)}  ${p.mean.toFixed(2).padStart(7)}`,
    );
  console.log('');
  console.log(`Cedar agrees with the compiled ruleset on ${agreement.checked - agreement.disagreements.length}/${agreement.checked} rule-input combinations`);
  console.log(`ratio Cedar / carapace evaluate(): p50 ${(cedarTimes.p50 / full.p50).toFixed(1)}x, p99 ${(cedarTimes.p99 / full.p99).toFixed(1)}x`);
  console.log(
    `goal p50 <= ${GOAL_P50_US} µs: ${full.p50 <= GOAL_P50_US ? 'met' : 'MISSED'} (${full.p50.toFixed(2)}); goal p99 <= ${GOAL_P99_US} µs: ${full.p99 <= GOAL_P99_US ? 'met' : 'MISSED'} (${full.p99.toFixed(2)})`,
  );
  console.log('published, not measured here: EnforceCore full path p50 56 µs / p99 892 µs (Python, its own hardware)');
}
