// `carapace audit verify|export|proof|verify-receipt`: everything an auditor needs, offline. verify and
// export also read a cluster's log from PostgreSQL (`--store postgres://…`), whose checkpoints are signed
// by several instance keys: `--key` may be given once per instance.

import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readBundle, writeBundle, writeBundleOfSources } from '../audit/bundle.js';
import { isPostgresUrl, readClusterLog } from '../audit/cluster_log.js';
import { openCheckpoint } from '../audit/checkpoint.js';
import { DEFAULT_ORIGIN, readDataDirLog, segmentsDir } from '../audit/log_files.js';
import { buildReceipt, ProofError } from '../audit/proof.js';
import { verifyReceipt } from '../audit/receipt.js';
import { type LogSource, verifyLogParallel } from '../audit/verify.js';
import { readVerifierKey } from '../crypto/ed25519_key.js';
import { formatVerifierKey, parseVerifierKey, type VerifierKey } from '../crypto/signed_note.js';
import { type CosignerKey, parseCosignerKey } from '../witness/cosignature.js';
import { verifyWitnessed } from '../witness/verify_witnessed.js';
import { resolveDataDir } from './data_dir.js';
import { failure, parseJson, printJson, readTextFile } from './io.js';

function loadKey(keyOption: string): VerifierKey {
  try {
    return readVerifierKey(keyOption);
  } catch (e) {
    throw failure('E_KEY_INVALID', 'cannot read the verifier key', (e as Error).message);
  }
}

function loadWitnessKey(keyOption: string): CosignerKey {
  try {
    return parseCosignerKey(keyOption.includes('+') ? keyOption : readFileSync(keyOption, 'utf8'));
  } catch (e) {
    throw failure('E_KEY_INVALID', 'cannot read the witness key', (e as Error).message);
  }
}

/** A cluster's log, read from PostgreSQL; a store that cannot be read is a CLI failure, not a crash. */
async function readCluster(url: string) {
  try {
    return await readClusterLog(url);
  } catch (e) {
    throw failure('E_STORE_UNAVAILABLE', 'cannot read the audit log from the store', (e as Error).message);
  }
}

export async function auditVerifyCommand(
  path: string | undefined,
  options: {
    key?: string | string[];
    checkpoint?: string;
    origin?: string;
    maxUnsigned?: string;
    store?: string;
    /** Witness vkeys (files or text): every entry must lie under a checkpoint each one cosigned. */
    witnessKey?: string | string[];
  },
): Promise<number> {
  const witnessKeys = [options.witnessKey ?? []].flat().map(loadWitnessKey);
  let sources: LogSource[];
  let ownKeys: VerifierKey[];
  if (options.store !== undefined) {
    checkStoreUrl(options.store);
    if (path !== undefined)
      throw failure('E_ARG_INVALID', 'two logs named', 'give a path or --store, not both');
    const cluster = await readCluster(options.store);
    sources = cluster.sources;
    ownKeys = cluster.vkeys;
  } else {
    const target = path ?? resolveDataDir(undefined);
    if (!existsSync(target))
      throw failure('E_FILE_UNREADABLE', 'nothing to verify', `${target} does not exist`);
    if (statSync(target).isDirectory()) {
      const log = await readDataDirLog(target, options.origin ?? DEFAULT_ORIGIN);
      sources = log.sources;
      ownKeys = log.vkey ? [log.vkey] : [];
    } else {
      const bundle = await readBundle(target).catch((e: Error) => {
        throw failure('E_BUNDLE_MALFORMED', 'not an audit bundle', e.message);
      });
      sources = [bundle.source];
      try {
        ownKeys = (bundle.header.vkeys ?? [bundle.header.vkey]).map(parseVerifierKey);
      } catch (e) {
        throw failure('E_BUNDLE_MALFORMED', 'the bundle names a malformed key', (e as Error).message);
      }
    }
  }
  const given = options.key === undefined ? [] : [options.key].flat();
  const keys = given.length > 0 ? given.map(loadKey) : ownKeys;
  const key = keys[0];
  if (!key) throw failure('E_KEY_MISSING', 'no verifier key', 'pass --key with the log public key (vkey)');
  let knownCheckpoint: { size: number; rootHash: Buffer } | undefined;
  if (options.checkpoint) {
    const text = readTextFile(options.checkpoint);
    let problem = '';
    for (const k of keys) {
      try {
        knownCheckpoint = openCheckpoint(text, k, k.name);
        break;
      } catch (e) {
        problem = (e as Error).message;
      }
    }
    if (!knownCheckpoint)
      throw failure('E_CHECKPOINT_INVALID', 'the known checkpoint does not verify', problem);
  }

  const maxUnsigned = options.maxUnsigned === undefined ? undefined : Number(options.maxUnsigned);
  if (maxUnsigned !== undefined && !(Number.isSafeInteger(maxUnsigned) && maxUnsigned >= 0))
    throw failure('E_ARG_INVALID', 'invalid --max-unsigned', '--max-unsigned must be an integer ≥ 0');
  // The verifier consumes the bytes it reads: the witness check reads its own copy.
  const copies = witnessKeys.length > 0 ? sources.map((s) => ({ ...s, bytes: Buffer.from(s.bytes) })) : [];
  const result = await verifyLogParallel(sources, {
    key: keys,
    ...(knownCheckpoint ? { knownCheckpoint } : {}),
    ...(maxUnsigned !== undefined ? { maxUncovered: maxUnsigned } : {}),
  });
  const named = `${keys.length === 1 ? 'key' : 'keys'} ${keys.map(formatVerifierKey).join(', ')}`;
  const keyNote =
    given.length > 0
      ? named
      : `${named} taken from the log itself (pass --key to check against a key you trust)`;
  if (result.ok && witnessKeys.length > 0) {
    const witnessed = verifyWitnessed(copies, witnessKeys);
    if (!witnessed.ok) {
      process.stdout.write(
        `FAIL${witnessed.seq === null ? '' : ` at seq ${witnessed.seq}`} (witness): ${witnessed.problem}\n`,
      );
      return 1;
    }
    process.stdout.write(
      `witnessed: ${plural(witnessed.cosignatures, 'cosignature')}; ${Object.entries(witnessed.coveredBy)
        .map(([name, size]) => `${name} cosigned up to size ${size}`)
        .join(', ')}\n`,
    );
  }
  if (result.ok) {
    const tail =
      result.uncovered > 0 ? `; ${result.uncovered} newest entries not yet under a checkpoint` : '';
    process.stdout.write(
      `OK: ${result.entries} entries, ${plural(result.checkpoints, 'checkpoint')} (latest covers ${result.covered}), ${plural(result.recoveries, 'recovery', 'recoveries')}, root ${result.root}${tail}; ${keyNote}\n`,
    );
    return 0;
  }
  process.stdout.write(`FAIL at seq ${result.seq} (${result.where}): ${result.problem}\n`);
  return 1;
}

export async function auditExportCommand(options: {
  dataDir?: string;
  out: string;
  origin?: string;
  store?: string;
}): Promise<number> {
  if (options.store !== undefined) return exportCluster(options.store, options.out);
  const dataDir = resolveDataDir(options.dataDir);
  const log = await readDataDirLog(dataDir, options.origin ?? DEFAULT_ORIGIN);
  if (!log.vkey) throw failure('E_KEY_MISSING', 'no log key', `no public key for the log in ${dataDir}/keys`);
  const entries = await writeBundle(
    options.out,
    { origin: log.vkey.name, vkey: formatVerifierKey(log.vkey) },
    segmentsDir(dataDir),
    log.segments,
  ).catch((e: NodeJS.ErrnoException) => {
    throw failure(
      e.code === 'EEXIST' ? 'E_FILE_EXISTS' : 'E_FILE_UNWRITABLE',
      'cannot write the bundle',
      `${options.out}: ${e.code ?? e.message}`,
    );
  });
  printJson({ bundle: options.out, entries, origin: log.vkey.name, vkey: formatVerifierKey(log.vkey) });
  return 0;
}

/** A cluster's bundle: every committed row, and every instance key the store recorded (`vkeys`). */
async function exportCluster(url: string, out: string): Promise<number> {
  if (!isPostgresUrl(url))
    throw failure('E_ARG_INVALID', 'invalid --store', 'use postgres://user@host:port/database[?schema=name]');
  const cluster = await readCluster(url);
  const first = cluster.vkeys[0];
  if (!first)
    throw failure('E_KEY_MISSING', 'no instance key', 'no instance has recorded its key in the store');
  const vkeys = cluster.vkeys.map(formatVerifierKey);
  const entries = await writeBundleOfSources(
    out,
    { origin: first.name, vkey: formatVerifierKey(first), vkeys },
    cluster.sources,
  ).catch((e: NodeJS.ErrnoException) => {
    throw failure(
      e.code === 'EEXIST' ? 'E_FILE_EXISTS' : 'E_FILE_UNWRITABLE',
      'cannot write the bundle',
      `${out}: ${e.code ?? e.message}`,
    );
  });
  printJson({ bundle: out, entries, origin: first.name, vkey: formatVerifierKey(first), vkeys });
  return 0;
}

export async function auditProofCommand(
  seqText: string,
  options: { dataDir?: string; out?: string; origin?: string; store?: string },
): Promise<number> {
  if (!/^(0|[1-9]\d{0,15})$/.test(seqText))
    throw failure('E_REQUEST_INVALID', 'invalid seq', `${seqText} is not an entry number`);
  let sources: LogSource[];
  if (options.store !== undefined) {
    checkStoreUrl(options.store);
    sources = (await readCluster(options.store)).sources;
  } else
    sources = (await readDataDirLog(resolveDataDir(options.dataDir), options.origin ?? DEFAULT_ORIGIN))
      .sources;
  let receipt;
  try {
    receipt = buildReceipt(sources, Number(seqText));
  } catch (e) {
    if (e instanceof ProofError) throw failure(e.code, 'cannot make a receipt', e.message);
    throw e;
  }
  const text = `${JSON.stringify(receipt, null, 2)}\n`;
  if (options.out) writeFileSync(options.out, text, { flag: 'wx', mode: 0o644 });
  else process.stdout.write(text);
  return 0;
}

export function auditVerifyReceiptCommand(file: string, options: { key: string | string[] }): number {
  // A cluster's receipt is under a checkpoint of one instance: any of the instance keys given may sign it.
  const keys = [options.key].flat().map(loadKey);
  const receipt = parseJson(readTextFile(file), 'receipt');
  let result = verifyReceipt(receipt, keys[0] as VerifierKey);
  let key = keys[0] as VerifierKey;
  for (const other of keys.slice(1)) {
    if (result.ok) break;
    const again = verifyReceipt(receipt, other);
    if (again.ok) {
      result = again;
      key = other;
    }
  }
  if (result.ok) {
    process.stdout.write(
      `OK: entry ${result.seq} (${result.kind}) is in log ${result.origin}, under a checkpoint of size ${result.size} signed by ${formatVerifierKey(key)}\n`,
    );
    return 0;
  }
  process.stdout.write(`FAIL: ${result.problem}\n`);
  return 1;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `--store` names a PostgreSQL cluster log; anything else is refused before a connection is tried. */
function checkStoreUrl(url: string): void {
  if (!isPostgresUrl(url))
    throw failure('E_ARG_INVALID', 'invalid --store', 'use postgres://user@host:port/database[?schema=name]');
}
