// A TEE attestation report through Linux configfs-tsm (Documentation/ABI/testing/configfs-tsm): make a
// report directory, write the 64-byte report_data to `inblob`, read `outblob` (the report, e.g. an
// SEV-SNP or TDX report as the platform's provider produced it), and read `generation` before and after
// to know no other writer changed the request in between. This machine has no configfs-tsm, so this
// path has not run here against hardware; detectTee() says `tee: none` and nothing calls it.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TsmReport {
  /** e.g. sev_guest, tdx_guest. */
  provider: string;
  /** The report bytes. */
  outblob: Buffer;
  generation: number;
}

export class TsmReportError extends Error {
  readonly code = 'E_TSM_REPORT';
}

export function requestTsmReport(reportDir: string, reportData: Buffer): TsmReport {
  if (reportData.length !== 64) throw new TsmReportError('report_data is 64 bytes');
  const dir = join(reportDir, `carapace-${randomBytes(8).toString('hex')}`);
  try {
    mkdirSync(dir);
  } catch (e) {
    throw new TsmReportError(`cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    writeFileSync(join(dir, 'inblob'), reportData);
    const generation = Number(readFileSync(join(dir, 'generation'), 'utf8').trim());
    const outblob = readFileSync(join(dir, 'outblob'));
    const provider = readFileSync(join(dir, 'provider'), 'utf8').trim();
    const after = Number(readFileSync(join(dir, 'generation'), 'utf8').trim());
    if (!Number.isInteger(generation) || generation !== after)
      throw new TsmReportError('the report request was changed while it was read (generation moved)');
    if (outblob.length === 0) throw new TsmReportError('the provider returned an empty report');
    return { provider, outblob, generation };
  } catch (e) {
    if (e instanceof TsmReportError) throw e;
    throw new TsmReportError(`configfs-tsm: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    try {
      rmdirSync(dir);
    } catch {
      // configfs removes the item's attributes with it; a failure here leaves one empty item behind.
    }
  }
}
