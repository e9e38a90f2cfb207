// `npm run eval -- [injection|pii|adversarial|all] [flags]`: the published evaluations. injection and
// pii reproduce the numbers in docs/evaluation.md from the data sets in ../shared/datasets;
// adversarial runs EnforceCore's 26 attack scenarios, ported, against real gateways and, with
// `--write`, writes docs/adversarial.md. `all` runs the three in that order.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatTable, renderReport } from './adversarial/report.js';
import { runAdversarialSuite } from './adversarial/suite.js';
import { runInjectionEval } from './injection.js';
import { runPiiEval } from './pii.js';

const CHOICES = ['injection', 'pii', 'adversarial', 'all'];
const which = process.argv[2] ?? 'all';
if (!CHOICES.includes(which)) {
  console.error(`unknown evaluation "${which}": expected ${CHOICES.join(', ')}`);
  process.exit(2);
}
if (which === 'injection' || which === 'all') await runInjectionEval(process.argv.slice(3));
if (which === 'all') console.log('');
if (which === 'pii' || which === 'all') await runPiiEval();
if (which === 'all') console.log('');
if (which === 'adversarial' || which === 'all') await runAdversarial(process.argv.slice(3));

/** `adversarial [scenario ids] [--write]`; exit code 1 when a scenario could not be carried out. */
async function runAdversarial(argv: string[]): Promise<void> {
  const ids = which === 'adversarial' ? argv.filter((a) => !a.startsWith('--')) : [];
  const results = await runAdversarialSuite(ids);
  if (results.length === 0) {
    console.error(`no scenario has the id ${ids.join(', ')}`);
    process.exit(2);
  }
  console.log(
    `Adversarial suite: ${results.length} scenarios ported from EnforceCore, each against its own gateway`,
  );
  console.log(formatTable(results));
  if (argv.includes('--write')) {
    if (results.length < 26) {
      console.error('--write needs the whole suite: leave out the scenario ids');
      process.exit(2);
    }
    const path = fileURLToPath(new URL('../docs/adversarial.md', import.meta.url));
    writeFileSync(path, renderReport(results));
    console.log(`wrote ${path}`);
  }
  if (results.some((r) => r.outcome === 'error')) process.exitCode = 1;
}
