// The text of recently ingested chunks, for the console's decision page, which highlights the injection
// detector's spans in what a decision cited. The store keeps only a chunk's hash, so this is memory only:
// bounded (oldest out first), lost on restart, and credentials are replaced before anything is kept.

import { createHash } from 'node:crypto';
import { detectInjection, type InjectionSignal } from '../inspect/injection/index.js';
import { redactSecrets } from '../inspect/secrets/index.js';

export interface ChunkText {
  /** The content as ingested, with credentials replaced. */
  text: string;
  /** Whether credentials were replaced (the spans are then of the replaced text). */
  redacted: boolean;
  /** The detector's verdict on `text`, with each signal's span. */
  score: number;
  signals: InjectionSignal[];
}

export const CHUNK_TEXT_ENTRIES = 2000;
export const CHUNK_TEXT_CHARS = 8 * 1024 * 1024;
/** A longer text is not kept (the page then says so). */
const MAX_KEPT_CHARS = 64 * 1024;

export class ChunkTexts {
  /** Insertion order is age: a Map iterates oldest first. */
  private readonly texts = new Map<string, { text: string; redacted: boolean }>();
  private chars = 0;

  constructor(
    private readonly maxEntries = CHUNK_TEXT_ENTRIES,
    private readonly maxChars = CHUNK_TEXT_CHARS,
  ) {}

  /** Keeps `content` under the id the gateway gives it (`chunk:sha256:` of its UTF-8 bytes). */
  remember(content: string): void {
    if (content.length > MAX_KEPT_CHARS) return;
    const id = `chunk:sha256:${createHash('sha256').update(content, 'utf8').digest('hex')}`;
    if (this.texts.has(id)) return;
    const { text, findings } = redactSecrets(content);
    this.texts.set(id, { text, redacted: findings.length > 0 });
    this.chars += text.length;
    for (const [oldest, kept] of this.texts) {
      if (this.texts.size <= this.maxEntries && this.chars <= this.maxChars) break;
      this.texts.delete(oldest);
      this.chars -= kept.text.length;
    }
  }

  /** The kept text of chunk `id` and the detector's spans in it, or null when it is not kept. */
  lookup(id: string): ChunkText | null {
    const kept = this.texts.get(id);
    if (!kept) return null;
    const report = detectInjection(kept.text);
    return { ...kept, score: report.score, signals: report.signals };
  }
}
