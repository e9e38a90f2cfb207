// The gateway's side of witnessing: each checkpoint the audit log emits is submitted to every configured
// witness (c2sp.org/tlog-witness add-checkpoint, with a consistency proof from the size the witness last
// cosigned), and each cosignature is checked and recorded in the log as a `checkpoint.cosigned` entry.
// It never blocks an append or a decision: a witness that fails is retried on a timer with the newest
// checkpoint (which, being consistent with the older ones, vouches for them), and the gap is reported.

import type { AuditEntry } from '../audit/entry.js';
import type { AuditLog, CheckpointPayload } from '../audit/log.js';
import { type CosignerKey, verifyCosignature } from './cosignature.js';
import { COSIGNED_KIND, type CosignedPayload, needsWitness } from './verify_witnessed.js';
import { formatAddCheckpoint } from './witness.js';

export interface WitnessTarget {
  /** Submission prefix: `<url>/add-checkpoint` is posted to. */
  url: string;
  key: CosignerKey;
}

export interface WitnessStatus {
  name: string;
  url: string;
  /** The largest checkpoint size this witness cosigned in this run (0: none yet). */
  cosignedSize: number;
  /** The last attempt failed (unreachable, refused); cleared by a cosignature. */
  lastError: string | null;
}

export interface ExporterStatus {
  witnesses: WitnessStatus[];
  /** Every entry that needs witnessing lies under a checkpoint each witness cosigned. */
  allCosigned: boolean;
  /** Seq of the newest entry needing a witness (-1: none). */
  lastNeeding: number;
}

interface TargetState extends WitnessStatus {
  target: WitnessTarget;
  /** The size the witness says it has (from a 409 or a cosignature); undefined until known. */
  knownSize: number | undefined;
}

export interface ExporterOptions {
  retryMs?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export class WitnessExporter {
  private readonly targets: TargetState[];
  private lastNeeding = -1;
  private latest: CheckpointPayload | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly log: AuditLog,
    targets: readonly WitnessTarget[],
    private readonly options: ExporterOptions = {},
  ) {
    this.targets = targets.map((target) => ({
      target,
      name: target.key.name,
      url: target.url,
      cosignedSize: 0,
      lastError: null,
      knownSize: undefined,
    }));
    // Entries already in the log need witnessing too: the newest checkpoint at open covers them.
    this.lastNeeding = log.size - 1;
    this.latest = log.latestCheckpoint;
    log.onDurable((entry) => this.observe(entry));
    this.timer = setInterval(() => this.kick(), options.retryMs ?? 1000);
    this.timer.unref();
    if (this.latest) this.kick();
  }

  private observe(entry: AuditEntry): void {
    if (needsWitness(entry.kind)) this.lastNeeding = entry.seq;
    if (entry.kind === 'checkpoint') {
      this.latest = entry.payload as CheckpointPayload;
      this.kick();
    }
  }

  status(): ExporterStatus {
    return {
      witnesses: this.targets.map(({ name, url, cosignedSize, lastError }) => ({
        name,
        url,
        cosignedSize,
        lastError,
      })),
      allCosigned: this.targets.every((t) => t.cosignedSize > this.lastNeeding),
      lastNeeding: this.lastNeeding,
    };
  }

  /** Submits the newest checkpoint to every witness that lacks it; resolves when this round is done. */
  flush(): Promise<void> {
    this.kick();
    return this.running ?? Promise.resolve();
  }

  private kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await Promise.all(this.targets.map((t) => this.submit(t)));
      } while (this.again && !this.closed);
    })().finally(() => {
      this.running = null;
    });
  }

  private async submit(state: TargetState): Promise<void> {
    const checkpoint = this.latest;
    if (!checkpoint || this.closed) return;
    // Nothing new to vouch for (only checkpoints and cosignature records since): no request, no new entry.
    if (state.cosignedSize > this.lastNeeding || checkpoint.size <= state.cosignedSize) return;
    for (let attempt = 0; attempt < 2; attempt++) {
      const old = state.knownSize ?? 0;
      if (old > checkpoint.size) {
        state.lastError = `the witness has size ${old}, larger than this log's checkpoint ${checkpoint.size}`;
        return;
      }
      const proof =
        old > 0 && old < checkpoint.size ? this.log.tree.consistencyProof(old, checkpoint.size) : [];
      let response: Response;
      try {
        response = await fetch(`${state.target.url.replace(/\/$/, '')}/add-checkpoint`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: formatAddCheckpoint({ oldSize: old, proof, note: checkpoint.note }),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
      } catch (e) {
        state.lastError = `unreachable: ${(e as Error).message}`;
        return;
      }
      const body = await response.text().catch(() => '');
      if (response.status === 409) {
        const size = Number(
          response.headers.get('x-tlog-size') ?? (safeJson(body) as { size?: unknown })?.size,
        );
        if (!Number.isSafeInteger(size) || size === state.knownSize) {
          state.lastError = `refused (409): ${detailOf(body)}`;
          return;
        }
        state.knownSize = size;
        continue;
      }
      if (!response.ok) {
        state.lastError = `refused (${response.status}): ${detailOf(body)}`;
        return;
      }
      await this.record(state, checkpoint, body);
      return;
    }
  }

  private async record(state: TargetState, checkpoint: CheckpointPayload, body: string): Promise<void> {
    const text = checkpoint.note.slice(0, checkpoint.note.lastIndexOf('\n\n') + 1);
    const line = body
      .split('\n')
      .filter((l) => l.length > 0)
      .find((l) => {
        try {
          verifyCosignature(text, l, state.target.key);
          return true;
        } catch {
          return false;
        }
      });
    if (line === undefined) {
      state.lastError = `the answer holds no valid cosignature by ${state.name}`;
      return;
    }
    const payload: CosignedPayload = {
      origin: checkpoint.origin,
      size: checkpoint.size,
      root: checkpoint.root,
      witness: state.name,
      cosignature: line,
    };
    state.knownSize = checkpoint.size;
    try {
      await this.log.append(COSIGNED_KIND, payload);
    } catch (e) {
      state.lastError = `cosigned, but the audit log refused the record: ${(e as Error).message}`;
      return;
    }
    state.cosignedSize = Math.max(state.cosignedSize, checkpoint.size);
    state.lastError = null;
  }

  /** Whether each witness answers its health check now (for the SH-3 check at start). */
  async probe(): Promise<boolean[]> {
    return Promise.all(
      this.targets.map(async (t) => {
        try {
          const response = await fetch(`${t.url.replace(/\/$/, '')}/healthz`, {
            signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
          });
          if (!response.ok) t.lastError = `health check answered ${response.status}`;
          return response.ok;
        } catch (e) {
          t.lastError = `unreachable: ${(e as Error).message}`;
          return false;
        }
      }),
    );
  }

  /** Stops retrying; waits for a round under way. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    this.closed = true;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function detailOf(body: string): string {
  const parsed = safeJson(body) as { detail?: unknown } | null;
  return typeof parsed?.detail === 'string' ? parsed.detail : body.slice(0, 200);
}
