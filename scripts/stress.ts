// `npm run stress -- <test> [--kills N]`:
//   audit-crash    SIGKILLs of an appending audit writer (default 1000 kills)
//   gateway-crash  SIGKILLs of the whole gateway process under load (default 100 kills; needs
//                  `npm run build`); `--serve-arg <arg>` (repeatable) passes an argument to `carapace
//                  serve`, e.g. another store engine; `--store postgres://…` is short for
//                  `--serve-arg --store --serve-arg postgres://…` (the audit log is then read back
//                  from the database and verified as `carapace audit verify --store` does).
//   fuzz           hostile input on every route and CLI JSON input (scripts/stress_fuzz.ts; `--runs N`).

import { DEFAULT_ORIGIN, findKeyFiles } from '../src/audit/log_files.js';
import { crashAndRecover } from '../test/audit/crash_harness.js';
import { tempDataDir, verifyDataDir } from '../test/audit/helpers.js';
import { crashGatewayRepeatedly } from '../test/reliability/gateway_crash_harness.js';
import { stressFuzz } from './stress_fuzz.js';

const KNOWN = ['audit-crash', 'gateway-crash', 'fuzz'];
const args = process.argv.slice(2);
const valueOf = (flag: string): string[] =>
  args.flatMap((a, i) => (a === flag && args[i + 1] !== undefined ? [args[i + 1] as string] : []));
const flagValues = new Set(args.flatMap((a, i) => (a.startsWith('--') ? [i + 1] : [])));
const which = args.find((a, i) => !a.startsWith('--') && !flagValues.has(i)) ?? 'audit-crash';
if (which === 'fuzz') process.exit(await stressFuzz(args));
if (!KNOWN.includes(which)) {
  console.error(`unknown stress test "${which}"; known: ${KNOWN.join(', ')}`);
  process.exit(2);
}
const killsFlag = valueOf('--kills')[0];
const kills = killsFlag !== undefined ? Number(killsFlag) : which === 'audit-crash' ? 1000 : 100;
const dataDir = tempDataDir();
const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);

if (which === 'audit-crash') {
  const stats = await crashAndRecover(dataDir, kills);
  const key = findKeyFiles(dataDir, DEFAULT_ORIGIN);
  if (!key) throw new Error('no key');
  const result = await verifyDataDir(dataDir, key.vkey);
  console.log(
    `${stats.kills} SIGKILLs in ${seconds()} s: ${stats.acknowledged} acknowledged entries, all present; ${stats.recoveries} torn tails cut; log ${result.ok ? 'verifies' : `FAILS: ${JSON.stringify(result)}`} (${result.entries} entries) in ${dataDir}`,
  );
  process.exit(result.ok ? 0 : 1);
}

// gateway-crash: the harness throws on the first broken invariant.
const stats = await crashGatewayRepeatedly(dataDir, {
  kills,
  serveArgs: [...valueOf('--serve-arg'), ...valueOf('--store').flatMap((url) => ['--store', url])],
  log: (line) => {
    if (/^kill \d*0:/.test(line)) console.log(`${seconds()} s ${line}`);
  },
});
const restart = [...stats.restartMs].sort((a, b) => a - b);
console.log(
  `${stats.kills} SIGKILLs of the gateway in ${seconds()} s: ${stats.decisions} decisions and ${stats.executions} executions acknowledged, all in the log; ` +
    `${stats.replaysRefused + stats.expiredRefused} redeemed tokens presented again after a kill, all refused (${stats.replaysRefused} as replayed, ${stats.expiredRefused} as expired); ` +
    `${stats.redeemedAfterRestart} tokens minted before a kill ran after it, none twice; ${stats.cut} requests cut by kills; ` +
    `restart median ${restart[restart.length >> 1]} ms, max ${restart.at(-1)} ms; log verifies after every restart (${stats.auditEntries} entries) in ${valueOf('--store')[0]?.replace(/\/\/[^@/]*@/, '//') ?? dataDir}`,
);
