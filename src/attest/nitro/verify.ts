// Verifies an AWS Nitro Enclaves attestation document: the certificate chains through the CA bundle
// to the pinned AWS Nitro root G1 at the verification time, and the leaf signed the COSE_Sign1
// (ES384). Steps (2)-(4) of AWS's "Verifying the root of trust"; policy (5) is in ../policy.ts.

import { toHex } from '../byte_reader.js';
import { parseCertificate } from '../certificate.js';
import {
  chainCacheKey,
  type ChainSummary,
  checkChainTimes,
  type PinnedRoots,
  summarizeChain,
  verifyChainSignatures,
} from '../chain.js';
import { type ChainCache, remember } from '../chain_cache.js';
import { signatureVerifies } from '../signature.js';
import { AttestError } from '../errors.js';
import { AWS_NITRO_ROOT_SHA256 } from '../roots.js';
import { coseSign1SignedBytes, parseNitroDocument } from './document.js';

export interface NitroVerifyOptions {
  at: Date;
  /** Pinned roots; default the AWS Nitro Enclaves root G1. */
  roots?: PinnedRoots;
  cache?: ChainCache;
}

export interface NitroClaims {
  module_id: string;
  /** Milliseconds since the epoch, as the document says, and the same as ISO 8601. */
  timestamp: number;
  timestamp_iso: string;
  digest: 'SHA384';
  pcrs: Record<string, string>;
  public_key: string | null;
  user_data: string | null;
  nonce: string | null;
  /** PCR0-2 all zero: the enclave runs in debug mode and its measurements mean nothing. */
  debug: boolean;
}

export interface VerifiedNitro {
  document: NitroClaims;
  chain: ChainSummary;
  checks: string[];
}

const CHAIN_CHECK = 'document.chain';

export function verifyNitro(evidence: Uint8Array, options: NitroVerifyOptions): VerifiedNitro {
  const doc = parseNitroDocument(evidence);
  const checks = ['document.parse'];
  const roots = options.roots ?? AWS_NITRO_ROOT_SHA256;
  // cabundle is [root, intermediate...]; the chain runs leaf, last intermediate, ..., root.
  const ders = [doc.certificate, ...[...doc.cabundle].reverse()];
  const chain = remember(
    options.cache,
    () => chainCacheKey('nitro', roots, ders),
    () => {
      const bundleIndex = (i: number) => doc.cabundle.length - i;
      const certs = ders.map((der, i) =>
        parseCertificate(
          der,
          i === 0 ? 'payload.certificate' : `payload.cabundle[${bundleIndex(i)}]`,
          CHAIN_CHECK,
        ),
      );
      return verifyChainSignatures(certs, roots, CHAIN_CHECK);
    },
  );
  checks.push(CHAIN_CHECK);
  checkChainTimes(chain, options.at, 'document.time');
  checks.push('document.time');
  const signed = coseSign1SignedBytes(doc.protectedBytes, doc.payloadBytes);
  if (!signatureVerifies('sha384', signed, chain.leafKey, doc.signature, 'ieee-p1363'))
    throw new AttestError(
      'E_ATTEST_SIGNATURE',
      'document.signature',
      'COSE_Sign1 signature',
      'the ES384 signature over the COSE Sig_structure (protected header and payload) does not verify with payload.certificate',
    );
  checks.push('document.signature');
  const pcrs: Record<string, string> = {};
  for (const [i, v] of [...doc.pcrs].sort((a, b) => a[0] - b[0])) pcrs[String(i)] = toHex(v);
  const zero = (i: number) => doc.pcrs.get(i)?.every((b) => b === 0) ?? false;
  return {
    document: {
      module_id: doc.moduleId,
      timestamp: doc.timestamp,
      timestamp_iso: new Date(doc.timestamp).toISOString(),
      digest: 'SHA384',
      pcrs,
      public_key: doc.publicKey ? toHex(doc.publicKey) : null,
      user_data: doc.userData ? toHex(doc.userData) : null,
      nonce: doc.nonce ? toHex(doc.nonce) : null,
      debug: zero(0) && zero(1) && zero(2),
    },
    chain: summarizeChain(chain),
    checks,
  };
}
