// `carapace attest verify`: appraises TEE evidence offline (SEV-SNP report, SGX/TDX quote, Nitro
// document) with its certificates or collateral at a verification time, against a policy, and prints
// the appraisal as JSON: exit 0 when verified, 1 when rejected, 2 for input it cannot take.

import { readFileSync, statSync } from 'node:fs';
import { appraise, ATTESTATION_KINDS, type AttestationKind, readCertificateFile } from '../attest/index.js';
import { AttestError } from '../attest/errors.js';
import { parseYamlOrJson } from './catalog_file.js';
import { failure, parseJson, printJson, readTextFile } from './io.js';

export interface AttestVerifyOptions {
  kind?: string;
  evidence?: string;
  collateral?: string;
  certs?: string[];
  at?: string;
  policy?: string;
}

const MAX_FILE_BYTES = 1024 * 1024;
// An explicit offset, as `policy test` requires, or epoch milliseconds.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function readBinaryFile(path: string): Buffer {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw failure(
      'E_FILE_UNREADABLE',
      'cannot read file',
      `${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  if (size > MAX_FILE_BYTES)
    throw failure('E_INPUT_TOO_LARGE', 'input too large', `${path} exceeds ${MAX_FILE_BYTES} bytes`);
  return readFileSync(path);
}

/** Evidence as the vendors' tools write it: raw bytes, or the same as hex or base64 text. */
export function decodeEvidence(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1').trim();
  if (text.length > 0 && text.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(text))
    return Buffer.from(text, 'hex');
  const compact = text.replace(/\s+/g, '');
  if (
    compact.length > 0 &&
    compact.length % 4 === 0 &&
    /^[A-Za-z0-9+/]+={0,2}$/.test(compact) &&
    !bytes.includes(0)
  )
    return Buffer.from(compact, 'base64');
  return bytes;
}

function verificationTime(at: string | undefined): Date {
  if (at === undefined) return new Date();
  const date = /^\d{1,15}$/.test(at)
    ? new Date(Number(at))
    : ISO_TIME.test(at)
      ? new Date(at)
      : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()))
    throw failure(
      'E_USAGE',
      'invalid --at',
      `--at must be ISO 8601 with an offset (2025-06-20T12:00:00Z) or epoch milliseconds; got ${JSON.stringify(at)}`,
    );
  return date;
}

export function attestVerifyCommand(options: AttestVerifyOptions): number {
  if (!options.kind || !(ATTESTATION_KINDS as readonly string[]).includes(options.kind))
    throw failure('E_USAGE', 'invalid --kind', `--kind must be one of ${ATTESTATION_KINDS.join(', ')}`);
  if (!options.evidence) throw failure('E_USAGE', 'missing --evidence', '--evidence FILE is required');
  const kind = options.kind as AttestationKind;
  const at = verificationTime(options.at);
  const evidence = decodeEvidence(readBinaryFile(options.evidence));
  const collateral = options.collateral
    ? parseJson(readTextFile(options.collateral), `collateral ${options.collateral}`)
    : undefined;
  let certs: Buffer[] | undefined;
  try {
    certs = options.certs?.flatMap((path) => readCertificateFile(readBinaryFile(path), path));
  } catch (e) {
    if (e instanceof AttestError) throw failure(e.code, 'unreadable certificate file', e.message);
    throw e;
  }
  const policy = options.policy
    ? parseYamlOrJson(readTextFile(options.policy), `policy ${options.policy}`)
    : undefined;
  const appraisal = appraise(evidence, { kind, at, collateral, certs, policy });
  if (appraisal.failure?.code === 'E_ATTEST_INPUT')
    throw failure(
      'E_ATTEST_INPUT',
      'invalid attestation input',
      `${appraisal.failure.where}: ${appraisal.failure.detail}`,
    );
  printJson(appraisal);
  return appraisal.verified ? 0 : 1;
}
