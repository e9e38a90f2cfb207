// `carapace doctor [--level SH-n] [--json]`: the deployment `carapace serve` would run with the same flags,
// checked against every security level (docs/security-levels.md) without starting it: pass or fail per
// requirement, what was seen, and how to fix it. With --level, exit 1 when that level is not met.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirKeyStorage } from '../audit/log_files.js';
import { deploymentFactsOf, TOKEN_KEY_NAME } from '../gateway/serve.js';
import {
  assessDeployment,
  checksFor,
  isSecurityLevel,
  levelMet,
  SECURITY_LEVELS,
  type SecurityCheck,
} from '../gateway/security_levels.js';
import { openSqliteStore } from '../store/sqlite_store.js';
import type { Principal } from '../store/store.js';
import { readOwnReport } from '../attest/index.js';
import { GatewayAttestation, type SelfAppraisal } from '../vault/attestation.js';
import { sealingRootAvailable } from '../vault/sealed_key_file.js';
import { OutputSigner } from '../vault/signed_output.js';
import { detectTee, type TeeStatus } from '../vault/tee.js';
import { type TeeAppraisalFlags, teeAppraiser } from './tee_appraiser.js';
import { Vault } from '../vault/vault.js';
import { resolveDataDir } from './data_dir.js';
import { type DeploymentFlags, parseDeployment } from './deployment_options.js';
import { failure } from './io.js';
import type { WitnessTarget } from '../witness/exporter.js';

export async function doctorCommand(
  options: DeploymentFlags &
    TeeAppraisalFlags & { dataDir?: string; broker?: boolean; level?: string; json?: boolean },
): Promise<number> {
  if (options.level !== undefined && !isSecurityLevel(options.level))
    throw failure(
      'E_DOCTOR_OPTION',
      'invalid --level',
      `${options.level}: use ${SECURITY_LEVELS.join(', ')}`,
    );
  const deployment = parseDeployment(options);
  const dataDir = resolveDataDir(options.dataDir);
  const facts = deploymentFactsOf({
    data: deployment.data,
    control: deployment.control,
    // The token key is made on first start when absent: tokens are always signed with it.
    tokenKeyName: TOKEN_KEY_NAME,
    vault: options.broker ? new Vault(dataDir) : null,
    // The keys of the data directory as stored now; a plain one is sealed at the next start when a root
    // is there. --broker makes <data>/vault/master.key at start (for its output-signing key) if missing.
    privateKeys: {
      keys: dataDirKeyStorage(dataDir),
      sealingRoot: sealingRootAvailable(dataDir) || options.broker === true,
    },
    revocationCacheMaxMs: deployment.revocationCacheMaxMs ?? Number.POSITIVE_INFINITY,
    principals: await principalsOf(dataDir),
    ...(options.broker ? ownTee(dataDir, options) : { tee: null }),
  });
  if (deployment.witnesses) facts.witnesses = await probeWitnesses(deployment.witnesses);
  const checks = assessDeployment(facts);
  const met = levelMet(checks);
  const asked = options.level ?? deployment.securityLevel;
  const ok = asked === undefined || checksFor(checks, asked).every((c) => c.pass);
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ data_dir: dataDir, level_met: met, level_asked: asked ?? null, ok, checks }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`carapace doctor: ${dataDir}\n`);
    for (const level of SECURITY_LEVELS) {
      const own = checks.filter((c) => c.level === level);
      process.stdout.write(`\n${level}${own.every((c) => c.pass) ? '' : ' (gaps)'}\n`);
      for (const c of own) process.stdout.write(line(c));
    }
    process.stdout.write(
      `\nmeets: ${met ?? 'no level'}${asked ? `; ${asked} ${ok ? 'met' : 'NOT met'}` : ''}\n`,
    );
  }
  return ok ? 0 : 1;
}

/** Whether each configured witness answers its health check now. */
async function probeWitnesses(
  witnesses: readonly WitnessTarget[],
): Promise<{ name: string; url: string; reachable: boolean }[]> {
  return Promise.all(
    witnesses.map(async (w) => {
      const reachable = await fetch(`${w.url.replace(/\/$/, '')}/healthz`, {
        signal: AbortSignal.timeout(5000),
      })
        .then((r) => r.ok)
        .catch(() => false);
      return { name: w.key.name, url: w.url, reachable };
    }),
  );
}

function line(c: SecurityCheck): string {
  return `  ${c.pass ? 'PASS' : 'FAIL'}  ${c.id}: ${c.requirement}\n        ${c.evidence}\n${c.pass ? '' : `        fix: ${c.fix}\n`}`;
}

/**
 * The TEE as `serve --broker` would see it: with configfs-tsm present, a report is asked for the vault's
 * output-signing key and appraised as at start, so SH-3's check reads a real self-appraisal; without
 * it, `tee: none` and nothing is created.
 */
function ownTee(dataDir: string, flags: TeeAppraisalFlags): { tee: TeeStatus; teeAppraisal?: SelfAppraisal } {
  const tee = detectTee();
  if (tee.tee === 'none') return { tee };
  const appraiseReport = teeAppraiser(flags);
  try {
    const attestation = new GatewayAttestation(OutputSigner.fromVault(new Vault(dataDir)), undefined, {
      readReport: readOwnReport,
      appraiseReport,
    });
    attestation.attachStartupEvidence();
    return { tee, teeAppraisal: attestation.selfAppraisal };
  } catch (e) {
    return {
      tee,
      teeAppraisal: {
        status: 'failed',
        obtained: false,
        signature: 'not_available',
        binding: 'not_checked',
        reason: `the TEE gave no usable report: ${(e as Error).message}`,
      },
    };
  }
}

/** The data directory's principals, read without taking its lock; none when it has no store yet. */
async function principalsOf(dataDir: string): Promise<Principal[] | null> {
  const path = join(dataDir, 'carapace.db');
  if (!existsSync(path)) return [];
  try {
    const store = await openSqliteStore(path);
    try {
      return await store.listPrincipals();
    } finally {
      await store.close();
    }
  } catch {
    return null;
  }
}
