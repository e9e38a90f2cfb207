// Content an agent was shown, entering through a channel (POST /v1/ingest, the SDK's embedded ingest):
// a chunk with the channel's trust, joined to the agent's session, and an `ingest` audit entry.

import type { Channel, Chunk } from '../store/store.js';
import { registerChunk } from './chunks.js';
import { auditEvent, type GatewayContext } from './context.js';

export interface IngestTarget {
  /** The principal that brought the content in. */
  by: string;
  channel: Channel;
  session: string | null;
  /** The agent the content was shown to; a session needs one. */
  agentId: string | null;
}

export async function ingestContent(
  ctx: GatewayContext,
  target: IngestTarget,
  content: string,
  options: { image?: { bytes: Uint8Array; text: string | null }; recorded?: Record<string, unknown> } = {},
): Promise<{ chunk: Chunk; inserted: boolean; matched: string[] }> {
  const registered = await registerChunk(ctx, target.channel, content, options.image);
  const { chunk, inserted, matched } = registered;
  if (target.session && target.agentId)
    await ctx.store.addSessionChunks(target.session, target.agentId, [chunk.id]);
  await auditEvent(ctx, 'ingest', {
    by: target.by,
    chunk: chunk.id,
    channel: chunk.channel,
    trust: chunk.trust,
    injection_suspected: chunk.injection_suspected,
    matched,
    ...options.recorded,
    session: target.session,
    agent: target.agentId,
    first_seen: inserted,
  });
  return registered;
}
