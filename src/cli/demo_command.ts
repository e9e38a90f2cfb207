// `carapace demo` (what `npm start` runs for now): the decision engine on the demo data hall's
// scenarios, read from examples/scenarios/. The gateway, audit log and executors come in later issues.

import { fileURLToPath } from 'node:url';
import { DEFAULT_ENGINE, evaluate } from '../engine/index.js';
import { parseJson, readTextFile } from './io.js';

const SCENARIOS: [file: string, story: string][] = [
  ['reference-scenario', '03:14, a poisoned syslog line asks the agent to isolate the SJ-01 spine'],
  [
    'reference-scenario-corroborated',
    'the same, and the conversation layer (Lobster Trap block) flags the turn',
  ],
  ['trusted-migration', 'a same-site VM migration justified by operator-console telemetry'],
  ['trusted-migration-injected-turn', 'the same migration, but the conversation layer reports injection'],
  ['read-telemetry', 'reading telemetry while the context is poisoned'],
  ['cross-site-migration-underdeclared', 'a cross-site migration declared as reversible'],
  ['unknown-tool', 'a tool the catalog does not know'],
];

export function demoCommand(): number {
  const dir = new URL('../../examples/scenarios/', import.meta.url);
  const out: string[] = [
    'Carapace: action-layer security gateway for AI agents.',
    '',
    'What runs today: the pure decision engine (rule matrix R1-R9, demo data hall catalog, provenance,',
    'Lobster Trap fold). Not built yet: the HTTP gateway and console on http://localhost:8787, the signed',
    'audit log, execution tokens and the network-namespace data hall; they arrive in later releases.',
    '',
    `ruleset ${DEFAULT_ENGINE.ruleset.version} ${DEFAULT_ENGINE.ruleset.hash}`,
    `catalog ${DEFAULT_ENGINE.catalog.name} ${DEFAULT_ENGINE.catalog.hash}`,
    '',
  ];
  for (const [file, story] of SCENARIOS) {
    const path = new URL(`${file}.json`, dir);
    const result = evaluate(parseJson(readTextFile(fileURLToPath(path)), file));
    out.push(`- ${story}`, `  examples/scenarios/${file}.json`);
    if (!result.ok) out.push(`  error ${result.error.code}: ${result.error.detail}`, '');
    else out.push(`  ${result.value.decision} by ${result.value.rule}: ${result.value.explanation}`, '');
  }
  out.push('Decide your own: npx carapace decide < examples/scenarios/reference-scenario.json');
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
