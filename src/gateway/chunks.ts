// Content becomes a chunk in one way: content-addressed id, the channel's trust (never the caller's),
// and the injection scan. Used for ingested content and for tool outputs passing through the gateway.
// Channels are made here too: their trust is fixed when created, and nothing ever changes it.

import { createHash } from 'node:crypto';
import { scanForInjection } from '../inspect/injection.js';
import type { Channel, Chunk, TrustLevel } from '../store/store.js';
import { auditEvent, type GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';

/** The channel every tool output enters through by default: untrusted, since outputs carry outside text. */
export const TOOL_OUTPUT_CHANNEL: Pick<Channel, 'name' | 'trust'> = {
  name: 'tool-output',
  trust: 'untrusted',
};

/**
 * The channel of tool outputs an operator trusts more: `tool-output` (untrusted), or
 * `tool-output.semi_trusted` / `tool-output.trusted`, each with exactly the trust its name says. The
 * `tool-output` names are the gateway's: an admin cannot create one (see isReservedChannel).
 */
export function toolOutputChannel(trust: TrustLevel): Pick<Channel, 'name' | 'trust'> {
  return trust === TOOL_OUTPUT_CHANNEL.trust
    ? TOOL_OUTPUT_CHANNEL
    : { name: `${TOOL_OUTPUT_CHANNEL.name}.${trust}`, trust };
}

/** Channel names only the gateway creates (the tool-output family). */
export function isReservedChannel(name: string): boolean {
  return name === TOOL_OUTPUT_CHANNEL.name || name.startsWith(`${TOOL_OUTPUT_CHANNEL.name}.`);
}

export async function registerChunk(
  ctx: GatewayContext,
  channel: Pick<Channel, 'name' | 'trust'>,
  content: string,
  image?: { bytes: Uint8Array; text: string | null },
  /** Why this content is not trusted whatever its channel (a signed channel's missing or bad signature). */
  distrust?: string,
): Promise<{ chunk: Chunk; inserted: boolean; matched: string[] }> {
  // An image is addressed by its bytes and judged by the text read from it: always untrusted, and
  // suspected outright when no text could be read from it.
  const contentHash = createHash('sha256')
    .update(image ? image.bytes : Buffer.from(content, 'utf8'))
    .digest('hex');
  const scanned =
    image?.text === null ? { suspected: true, matched: ['ocr-unavailable'] } : scanForInjection(content);
  const scan = distrust
    ? { suspected: true, matched: [...scanned.matched, `signature:${distrust}`] }
    : scanned;
  const { chunk, inserted } = await ctx.store.putChunk({
    id: `chunk:sha256:${contentHash}`,
    channel: channel.name,
    trust: image || distrust ? 'untrusted' : channel.trust,
    injection_suspected: scan.suspected,
    content_hash: `sha256:${contentHash}`,
    ingested_at: new Date(ctx.now()).toISOString(),
    bytes: image ? image.bytes.length : Buffer.byteLength(content, 'utf8'),
  });
  return { chunk, inserted, matched: scan.matched };
}

/** Channels known to exist with their trust, per context: a channel's trust never changes, so this never goes stale. */
const ready = new WeakMap<GatewayContext, Map<string, Promise<Channel>>>();

/**
 * The channel `name` with exactly `trust`, created (and audited as created `by`) when absent. One that
 * exists with another trust is refused (409 E_CHANNEL_TRUST): nothing is recorded through it.
 */
export function ensureChannel(
  ctx: GatewayContext,
  channel: Pick<Channel, 'name' | 'trust'>,
  by: string,
): Promise<Channel> {
  let known = ready.get(ctx);
  if (!known) ready.set(ctx, (known = new Map()));
  let channelReady = known.get(channel.name);
  if (!channelReady) {
    channelReady = createIfAbsent(ctx, channel, by);
    // A failure is not remembered: the next call looks again.
    channelReady.catch(() => known.delete(channel.name));
    known.set(channel.name, channelReady);
  }
  return channelReady.then((found) => {
    if (found.trust !== channel.trust)
      throw new GatewayError(
        409,
        'E_CHANNEL_TRUST',
        'a channel cannot change its trust',
        `channel ${channel.name} exists as ${found.trust}, not ${channel.trust}`,
      );
    return found;
  });
}

async function createIfAbsent(
  ctx: GatewayContext,
  channel: Pick<Channel, 'name' | 'trust'>,
  by: string,
): Promise<Channel> {
  const existing = await ctx.store.getChannel(channel.name);
  if (existing) return existing;
  let created: Channel;
  try {
    created = await ctx.store.createChannel({
      name: channel.name,
      trust: channel.trust,
      created_by: by,
      created_at: new Date(ctx.now()).toISOString(),
    });
  } catch (e) {
    // Created by a concurrent caller (or another instance) since we looked: theirs stands.
    const raced = await ctx.store.getChannel(channel.name);
    if (raced) return raced;
    throw e;
  }
  await auditEvent(ctx, 'admin.channel_created', { by, channel: created.name, trust: created.trust });
  return created;
}
