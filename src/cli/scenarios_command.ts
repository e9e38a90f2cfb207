// `carapace scenarios`: the decision engine alone on the demo data hall's fixed scenarios, read from
// examples/scenarios/, each decision recorded in the audit log of the data directory. No gateway, no
// executor: `carapace demo` is the live one.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDataDirLog } from '../audit/log_files.js';
import { dataDirKeySealer } from '../vault/sealed_key_file.js';
import { DEFAULT_ENGINE, evaluate } from '../engine/index.js';
import { resolveDataDir } from './data_dir.js';
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

export async function scenariosCommand(options: { dataDir?: string }): Promise<number> {
  const dir = new URL('../../examples/scenarios/', import.meta.url);
  const dataDir = resolveDataDir(options.dataDir);
  const { log, keyCreated } = await openDataDirLog(dataDir, { sealer: dataDirKeySealer(dataDir) });
  const out: string[] = [
    'Carapace: action-layer security gateway for AI agents.',
    '',
    'The pure decision engine on fixed scenarios of the demo data hall, each decision recorded in the',
    'audit log. For the live demo with the gateway and the data hall: npx carapace demo.',
    'The Lobster Trap blocks in the scenarios are hand-written, not from a real proxy.',
    '',
    `ruleset ${DEFAULT_ENGINE.ruleset.version} ${DEFAULT_ENGINE.ruleset.hash}`,
    `catalog ${DEFAULT_ENGINE.catalog.name} ${DEFAULT_ENGINE.catalog.hash}`,
    `audit   ${join(dataDir, 'audit')}${keyCreated ? ' (new log; its signing key was generated in ' + join(dataDir, 'keys') + ')' : ''}`,
    '',
  ];
  const first = log.size;
  for (const [file, story] of SCENARIOS) {
    const path = new URL(`${file}.json`, dir);
    const result = evaluate(parseJson(readTextFile(fileURLToPath(path)), file));
    out.push(`- ${story}`, `  examples/scenarios/${file}.json`);
    if (!result.ok) {
      out.push(`  error ${result.error.code}: ${result.error.detail}`, '');
      continue;
    }
    const record = result.value;
    // Both layers, chained: the conversation-layer verdict first, then the action-layer decision.
    if (record.conversation_layer.present)
      await log.append('conversation.verdict', record.conversation_layer);
    const entry = await log.append('decision', record);
    out.push(
      `  ${record.decision} by ${record.rule}: ${record.explanation}`,
      `  audit entry ${entry.seq}`,
      '',
    );
  }
  await log.close();
  out.push(
    `Recorded audit entries ${first}..${log.size - 1}. Check them: npx carapace audit verify${options.dataDir ? ` ${dataDir}` : ''}`,
    'Decide your own: npx carapace decide < examples/scenarios/reference-scenario.json',
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
