// Content becomes a chunk in one way: content-addressed id, the channel's trust (never the caller's),
// and the injection scan. Used for ingested content and for tool outputs passing through the gateway.

import { createHash } from 'node:crypto';
import { scanForInjection } from '../inspect/injection.js';
import type { Channel, Chunk } from '../store/store.js';
import type { GatewayContext } from './context.js';

/** The channel every tool output enters through: untrusted, since outputs carry outside text. */
export const TOOL_OUTPUT_CHANNEL: Pick<Channel, 'name' | 'trust'> = {
  name: 'tool-output',
  trust: 'untrusted',
};

export async function registerChunk(
  ctx: GatewayContext,
  channel: Pick<Channel, 'name' | 'trust'>,
  content: string,
  image?: { bytes: Uint8Array; text: string | null },
): Promise<{ chunk: Chunk; inserted: boolean; matched: string[] }> {
  // An image is addressed by its bytes and judged by the text read from it: always untrusted, and
  // suspected outright when no text could be read from it.
  const contentHash = createHash('sha256')
    .update(image ? image.bytes : Buffer.from(content, 'utf8'))
    .digest('hex');
  const scan =
    image?.text === null ? { suspected: true, matched: ['ocr-unavailable'] } : scanForInjection(content);
  const { chunk, inserted } = await ctx.store.putChunk({
    id: `chunk:sha256:${contentHash}`,
    channel: channel.name,
    trust: image ? 'untrusted' : channel.trust,
    injection_suspected: scan.suspected,
    content_hash: `sha256:${contentHash}`,
    ingested_at: new Date(ctx.now()).toISOString(),
    bytes: image ? image.bytes.length : Buffer.byteLength(content, 'utf8'),
  });
  return { chunk, inserted, matched: scan.matched };
}
