// `npm run eval -- [injection|pii|all] [flags]`: the published evaluations of the content inspectors,
// each reproducing the numbers in docs/evaluation.md from the data sets in ../shared/datasets.

import { runInjectionEval } from './injection.js';
import { runPiiEval } from './pii.js';

const which = process.argv[2] ?? 'all';
if (!['injection', 'pii', 'all'].includes(which)) {
  console.error(`unknown evaluation "${which}": expected injection, pii or all`);
  process.exit(2);
}
if (which === 'injection' || which === 'all') await runInjectionEval(process.argv.slice(3));
if (which === 'all') console.log('');
if (which === 'pii' || which === 'all') await runPiiEval();
