// Whether this process runs in a trusted execution environment, said honestly. Linux exposes a TEE's
// attestation reports through configfs-tsm (/sys/kernel/config/tsm/report); where it is absent the
// answer is `tee: none`, and nothing here pretends otherwise. A TEE sealing key (SEV-SNP's derived key,
// SGX's seal key) has no configfs interface: a provider for one is an interface only, not built here.

import { existsSync } from 'node:fs';

export const CONFIGFS_TSM_REPORT = '/sys/kernel/config/tsm/report';

export type TeeStatus = { tee: 'none'; reason: string } | { tee: 'configfs-tsm'; reportDir: string };

/** Looks for configfs-tsm under `reportDir` (default the kernel's path). Never throws. */
export function detectTee(reportDir: string = CONFIGFS_TSM_REPORT): TeeStatus {
  try {
    if (existsSync(reportDir)) return { tee: 'configfs-tsm', reportDir };
  } catch {
    // An unreadable /sys is the same answer as an absent one.
  }
  return { tee: 'none', reason: `${reportDir} is absent: no TEE report interface on this machine` };
}

/**
 * A hardware sealing key bound to the running code's measurement (e.g. SEV-SNP MSG_KEY_REQ with the
 * measurement selected, SGX EGETKEY with MRENCLAVE policy). The vault derives its record keys from it
 * instead of a master key when one is given. No implementation runs on this machine.
 */
export interface TeeSealingKeyProvider {
  readonly tee: 'sev-snp' | 'tdx' | 'sgx';
  /** The measurement the key is bound to, lower-case hex. */
  readonly measurement: string;
  /** 32 bytes of key material for `context`; the same context gives the same key under the same measurement. */
  sealingKey(context: string): Buffer;
}
