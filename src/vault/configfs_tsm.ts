// A TEE attestation report through Linux configfs-tsm (Documentation/ABI/testing/configfs-tsm): make a
// report directory, write the 64-byte report_data to `inblob`, read `outblob` (the report, e.g. an
// SEV-SNP or TDX report as the platform's provider produced it), and read `generation` before and after
// to know no other writer changed the request in between. An item may be named and kept (configfs-tsm
// allows one item to be reused: each write to inblob makes a new report and moves generation). This
// machine has no configfs-tsm, so this path has not run here against hardware, only against a
// simulated directory tree in the tests; detectTee() says `tee: none` here.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TsmReport {
  /** e.g. sev_guest, tdx_guest. */
  provider: string;
  /** The report bytes. */
  outblob: Buffer;
  /**
   * The provider's auxiliary blob when it gives one (sev_guest: the host's certificate table with the
   * VCEK, ASK and ARK), else null.
   */
  auxblob: Buffer | null;
  generation: number;
}

export class TsmReportError extends Error {
  readonly code = 'E_TSM_REPORT';
}

export function requestTsmReport(
  reportDir: string,
  reportData: Buffer,
  options: { item?: string } = {},
): TsmReport {
  if (reportData.length !== 64) throw new TsmReportError('report_data is 64 bytes');
  if (options.item !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(options.item))
    throw new TsmReportError('a report item is named with letters, digits, dot, dash and underscore');
  const dir = join(reportDir, options.item ?? `carapace-${randomBytes(8).toString('hex')}`);
  let made = false;
  try {
    mkdirSync(dir);
    made = true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!(options.item !== undefined && code === 'EEXIST'))
      throw new TsmReportError(`cannot create ${dir}: ${code ?? 'error'}`);
  }
  try {
    writeFileSync(join(dir, 'inblob'), reportData);
    const generation = Number(readFileSync(join(dir, 'generation'), 'utf8').trim());
    const outblob = readFileSync(join(dir, 'outblob'));
    const provider = readFileSync(join(dir, 'provider'), 'utf8').trim();
    const auxblob = readOptional(join(dir, 'auxblob'));
    const after = Number(readFileSync(join(dir, 'generation'), 'utf8').trim());
    if (!Number.isInteger(generation) || generation !== after)
      throw new TsmReportError('the report request was changed while it was read (generation moved)');
    if (outblob.length === 0) throw new TsmReportError('the provider returned an empty report');
    return { provider, outblob, auxblob: auxblob && auxblob.length > 0 ? auxblob : null, generation };
  } catch (e) {
    if (e instanceof TsmReportError) throw e;
    throw new TsmReportError(`configfs-tsm: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    try {
      if (made) rmdirSync(dir);
    } catch {
      // configfs removes the item's attributes with it; a failure here leaves one empty item behind.
    }
  }
}

/** An attribute a provider may not have (auxblob): null when absent, an error otherwise. */
function readOptional(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
