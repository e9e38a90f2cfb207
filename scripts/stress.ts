// `npm run stress -- audit-crash [--kills N]`: the crash test at a larger count (default 1000).
// `npm run stress -- fuzz [--runs N]`: hostile input on every route and CLI JSON input (scripts/stress_fuzz.ts).

import { DEFAULT_ORIGIN, findKeyFiles } from '../src/audit/log_files.js';
import { crashAndRecover } from '../test/audit/crash_harness.js';
import { tempDataDir, verifyDataDir } from '../test/audit/helpers.js';
import { stressFuzz } from './stress_fuzz.js';

const args = process.argv.slice(2);
const which = args.find((a) => !a.startsWith('--')) ?? 'audit-crash';
const killsFlag = args.indexOf('--kills');
const kills = killsFlag >= 0 ? Number(args[killsFlag + 1]) : 1000;
if (which === 'fuzz') process.exit(await stressFuzz(args));
if (which !== 'audit-crash') {
  console.error(`unknown stress test "${which}"; known: audit-crash, fuzz`);
  process.exit(2);
}
const dataDir = tempDataDir();
const started = Date.now();
const stats = await crashAndRecover(dataDir, kills);
const key = findKeyFiles(dataDir, DEFAULT_ORIGIN);
if (!key) throw new Error('no key');
const result = await verifyDataDir(dataDir, key.vkey);
console.log(
  `${stats.kills} SIGKILLs in ${((Date.now() - started) / 1000).toFixed(1)} s: ${stats.acknowledged} acknowledged entries, all present; ${stats.recoveries} torn tails cut; log ${result.ok ? 'verifies' : `FAILS: ${JSON.stringify(result)}`} (${result.entries} entries) in ${dataDir}`,
);
process.exit(result.ok ? 0 : 1);
