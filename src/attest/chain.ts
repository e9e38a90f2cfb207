// Certificate chains to a pinned root, checked by hand for the fixed shapes TEE vendors use (leaf,
// intermediates, self-signed root): names, signatures, CA flags, key usage and path length now,
// validity at the verification time separately, so a cached chain is re-judged at every use.

import { createHash, type KeyObject } from 'node:crypto';
import { type Certificate, signedBy } from './certificate.js';
import { AttestError } from './errors.js';

/** Pinned roots of one purpose: SHA-256 of the DER (lower-case hex) → a name for messages. */
export type PinnedRoots = ReadonlyMap<string, string>;

export interface VerifiedChain {
  /** The leaf's public key, trusted once the chain verified. */
  leafKey: KeyObject;
  /** Leaf first, root last. */
  certificates: readonly Certificate[];
  /** The pinned name of the root the chain ends in. */
  rootName: string;
}

/**
 * Checks that `chain` (leaf first, root last) is a chain of signatures to a root in `pinned`.
 * Requires at least two certificates. The leaf must be an end entity unless `leafIsCa` (a CRL
 * issuer's chain). Does not look at validity dates: see `checkChainTimes`.
 */
export function verifyChainSignatures(
  chain: readonly Certificate[],
  pinned: PinnedRoots,
  check: string,
  leafIsCa = false,
): VerifiedChain {
  if (chain.length < 2)
    throw new AttestError(
      'E_ATTEST_CHAIN',
      check,
      'chain',
      `a chain needs a leaf and a root; got ${chain.length} certificate(s)`,
    );
  const root = chain[chain.length - 1] as Certificate;
  const rootName = pinned.get(root.sha256);
  if (rootName === undefined)
    throw new AttestError(
      'E_ATTEST_ROOT',
      check,
      root.label,
      `${root.label} (SHA-256 ${root.sha256}, ${root.subject}) is not a pinned root`,
    );
  if (!signedBy(root, root.publicKey))
    throw new AttestError(
      'E_ATTEST_CHAIN',
      check,
      root.label,
      `${root.label}: the pinned root's self-signature does not verify`,
    );
  for (let i = 0; i < chain.length - 1; i++) {
    const cert = chain[i] as Certificate;
    const issuer = chain[i + 1] as Certificate;
    if (cert.issuer !== issuer.subject)
      throw new AttestError(
        'E_ATTEST_CHAIN',
        check,
        cert.label,
        `${cert.label} names issuer "${cert.issuer}" but the next certificate, ${issuer.label}, is "${issuer.subject}"`,
      );
    if (!issuer.isCa || !issuer.mayIssueCertificates)
      throw new AttestError(
        'E_ATTEST_CHAIN',
        check,
        issuer.label,
        `${issuer.label} is not a CA allowed to sign certificates`,
      );
    // Intermediates between this issuer and the leaf.
    const below = i;
    if (issuer.pathLength !== undefined && below > issuer.pathLength)
      throw new AttestError(
        'E_ATTEST_CHAIN',
        check,
        issuer.label,
        `${issuer.label} allows ${issuer.pathLength} intermediate CA(s) below it; the chain has ${below}`,
      );
    if (!signedBy(cert, issuer.publicKey))
      throw new AttestError(
        'E_ATTEST_SIGNATURE',
        check,
        cert.label,
        `the signature of ${cert.label} does not verify with the key of ${issuer.label}`,
      );
  }
  const leaf = chain[0] as Certificate;
  if (leaf.isCa !== leafIsCa)
    throw new AttestError(
      'E_ATTEST_CHAIN',
      check,
      leaf.label,
      leafIsCa
        ? `${leaf.label} is not a CA certificate`
        : `${leaf.label} is a CA certificate, not an end entity`,
    );
  return { leafKey: leaf.publicKey, certificates: chain, rootName };
}

/** Every certificate of the chain must be valid at `at` (inclusive bounds, RFC 5280). */
export function checkChainTimes(chain: VerifiedChain, at: Date, check: string): void {
  for (const cert of chain.certificates) checkCertificateTime(cert, at, check);
}

export function checkCertificateTime(cert: Certificate, at: Date, check: string): void {
  if (at < cert.notBefore || at > cert.notAfter)
    throw new AttestError(
      'E_ATTEST_TIME',
      check,
      cert.label,
      `${cert.label} is valid from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}, not at ${at.toISOString()}`,
    );
}

/**
 * The cache key of a verification over exact certificate bytes: the purpose, the pinned roots (so
 * test roots and production roots never share entries) and every DER in order.
 */
export function chainCacheKey(purpose: string, pinned: PinnedRoots, ders: readonly Uint8Array[]): string {
  const h = createHash('sha256').update(`chain\0${purpose}\0`);
  for (const fp of [...pinned.keys()].sort()) h.update(`${fp}\0`);
  for (const der of ders) h.update(`${der.length}\0`).update(der);
  return h.digest('hex');
}

/**
 * Orders certificates into a chain from `leaf` by issuer names, taking each issuer from `pool` (the
 * first match wins), until a self-issued certificate. Stops after 8 links: vendor chains are short.
 */
export function assembleChain(leaf: Certificate, pool: readonly Certificate[], check: string): Certificate[] {
  const chain = [leaf];
  let current = leaf;
  while (current.issuer !== current.subject) {
    const issuer = pool.find((c) => c.subject === current.issuer && !chain.includes(c));
    if (!issuer)
      throw new AttestError(
        'E_ATTEST_CHAIN',
        check,
        current.label,
        `no certificate for "${current.issuer}", the issuer of ${current.label}`,
      );
    chain.push(issuer);
    if (chain.length > 8)
      throw new AttestError('E_ATTEST_CHAIN', check, 'chain', 'the chain is longer than 8 certificates');
    current = issuer;
  }
  return chain;
}

/** The chain as an appraisal reports it: which root, and each certificate's subject, hash and validity. */
export interface ChainSummary {
  root: string;
  certificates: { label: string; subject: string; sha256: string; not_before: string; not_after: string }[];
}

export function summarizeChain(chain: {
  rootName: string;
  certificates: readonly Certificate[];
}): ChainSummary {
  return {
    root: chain.rootName,
    certificates: chain.certificates.map((c) => ({
      label: c.label,
      subject: c.subject,
      sha256: c.sha256,
      not_before: c.notBefore.toISOString(),
      not_after: c.notAfter.toISOString(),
    })),
  };
}
