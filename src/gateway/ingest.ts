// Content an agent was shown, entering through a channel (POST /v1/ingest, the SDK's embedded ingest):
// a chunk with the channel's trust, joined to the agent's session, and an `ingest` audit entry.

import { createHash } from 'node:crypto';
import type { Channel, Chunk } from '../store/store.js';
import { type SignatureVerdict, verifyChunkSignature } from './channel_signing.js';
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
  options: {
    image?: { bytes: Uint8Array; text: string | null };
    recorded?: Record<string, unknown>;
    /** The Carapace-Chunk-Signature the content came with, if any (verified when the channel is signed). */
    signature?: string;
  } = {},
): Promise<{ chunk: Chunk; inserted: boolean; matched: string[]; signature: SignatureVerdict }> {
  // On a signed channel the signature covers the content hash, the channel and a time: without a good
  // one the chunk is untrusted and suspected, whatever the channel's trust and whatever the scan says.
  const contentHash = `sha256:${createHash('sha256')
    .update(options.image ? options.image.bytes : Buffer.from(content, 'utf8'))
    .digest('hex')}`;
  const signature = await verifyChunkSignature(ctx, target.channel.name, options.signature, contentHash);
  const distrust = signature.required && !signature.verified ? (signature.reason ?? 'unverified') : undefined;
  const registered = await registerChunk(ctx, target.channel, content, options.image, distrust);
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
    ...(signature.required ? { signature } : {}),
    session: target.session,
    agent: target.agentId,
    first_seen: inserted,
  });
  return { ...registered, signature };
}
