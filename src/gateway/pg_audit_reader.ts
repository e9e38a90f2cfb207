// The console's view of a cluster's audit log: the same index as AuditReader (kinds, decisions, chunk
// ingests), built from the rows of the shared log in PostgreSQL instead of segment files, so the audit
// explorer and the decision list show every instance's entries.

import type { AuditEntry } from '../audit/entry.js';
import type { PgAuditStore } from '../audit/pg_audit_store.js';
import { AuditReader } from './audit_reader.js';

/** Rows indexed per query. */
const PAGE_ROWS = 5000;

export class PgAuditReader extends AuditReader {
  constructor(private readonly store: PgAuditStore) {
    super('');
  }

  /** Indexes the committed rows after the last one indexed (a committed batch is whole: never half-read). */
  protected override async readNew(): Promise<number> {
    for (;;) {
      const lines = await this.store.linesFrom(this.size, PAGE_ROWS);
      for (const line of lines) this.indexLine(0, 0, line);
      if (lines.length < PAGE_ROWS) return this.size;
    }
  }

  override async entries(seqs: readonly number[]): Promise<AuditEntry[]> {
    const known = seqs.filter((s) => Number.isSafeInteger(s) && s >= 0 && s < this.size);
    if (known.length === 0) return [];
    const lines = await this.store.linesAt(known);
    return known.flatMap((seq) => {
      const line = lines.get(seq);
      return line === undefined ? [] : [JSON.parse(line) as AuditEntry];
    });
  }
}
