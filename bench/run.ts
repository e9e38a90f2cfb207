// `npm run bench -- NAME [--iterations N]`: runs one named benchmark (or all) and prints its figures.

import { runAttestBench } from './attest.js';
import { runAuditBench } from './audit.js';
import { runEngineBench } from './engine.js';
import { runGatewayBench } from './gateway.js';
import { runInspectBench } from './inspect.js';
import { runProxyBench } from './proxy.js';

const BENCHES: Record<string, (o: { iterations: number; warmup: number }) => void | Promise<void>> = {
  engine: runEngineBench,
  audit: runAuditBench,
  gateway: runGatewayBench,
  inspect: runInspectBench,
  proxy: runProxyBench,
  attest: runAttestBench,
};

const args = process.argv.slice(2);
const iterationsFlag = args.indexOf('--iterations');
const iterations = iterationsFlag >= 0 ? Number(args[iterationsFlag + 1]) : 200_000;
const names = args.filter(
  (a, i) => !a.startsWith('--') && !(iterationsFlag >= 0 && i === iterationsFlag + 1),
);
const selected = names.length > 0 ? names : Object.keys(BENCHES);
for (const name of selected) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  await bench({ iterations, warmup: Math.min(50_000, iterations) });
}
