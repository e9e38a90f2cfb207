// Every message content an agent sends through the proxy becomes a chunk of its session, with the trust
// of its role's channel (or its tool's), recorded in the store and, the first time it is seen, in the
// audit log like any ingested content. A tool call is later judged against everything the session was
// shown, not what the agent says it read.
//
// The injection detector looks for instructions where there should be none: it reads data. So tool
// outputs are content-addressed and scanned exactly as ingested content is (the same text ingested or
// returned by /v1/execute is the same chunk), and parts the proxy cannot read are suspected outright.
// System, developer and user messages are instructions by nature, and the model's own turns derive from
// what the session already holds: they are recorded with their channel's trust and not scanned (a question
// in a user prompt is no injection). Their ids hash the role with the text, so an instruction can never
// be the first write of a data chunk with the same text and launder it as unscanned.

import { createHash } from 'node:crypto';
import { registerChunk } from '../../gateway/chunks.js';
import { auditEvent, type GatewayContext } from '../../gateway/context.js';
import type { Channel, Chunk } from '../../store/store.js';
import { BoundedSet } from './bounded_set.js';
import type { ChatMessage } from './chat_request.js';
import type { ProxyChannels } from './proxy_channels.js';

/** One piece of a message as it becomes a chunk. */
interface PlannedChunk {
  id: string;
  message: number;
  role: string;
  channel: Channel;
  content: string;
  /**
   * `data`: scanned (tool outputs); `opaque`: a part the proxy cannot read (image, audio, file), stored
   * untrusted and suspected; `instruction`: an instruction or model turn, not scanned, role-addressed.
   */
  kind: 'data' | 'opaque' | 'instruction';
}

export interface MessageChunkPlan {
  /** Per message, the ids of its chunks: its text, then each unreadable part, then its tool calls. */
  byMessage: string[][];
  /** Each id once, in message order. */
  ids: string[];
  chunks: PlannedChunk[];
}

/** Chunk ids the store already holds, and session memberships it already has, remembered (bounded). */
const REMEMBERED = 100_000;

export class MessageChunkRecorder {
  readonly #stored = new BoundedSet(REMEMBERED);
  readonly #joined = new BoundedSet(REMEMBERED);

  constructor(
    private readonly ctx: GatewayContext,
    private readonly channels: ProxyChannels,
  ) {}

  /** The chunk every message content becomes (ids only: nothing is written yet). */
  plan(messages: readonly ChatMessage[]): MessageChunkPlan {
    const byMessage: string[][] = [];
    const chunks: PlannedChunk[] = [];
    const seen = new Set<string>();
    const ids: string[] = [];
    for (const m of messages) {
      const channel =
        m.channel === 'tool' && m.tool !== null
          ? (this.channels.byTool.get(m.tool) ?? this.channels.byRole.tool)
          : this.channels.byRole[m.channel];
      const data = m.channel === 'tool';
      const pieces: [content: string, kind: PlannedChunk['kind']][] = [];
      if (m.text !== null) pieces.push([m.text, data ? 'data' : 'instruction']);
      for (const part of m.opaque) pieces.push([part, 'opaque']);
      if (m.toolCalls !== null) pieces.push([m.toolCalls, 'instruction']);
      const own: string[] = [];
      for (const [content, kind] of pieces) {
        const id = `chunk:sha256:${kind === 'instruction' ? roleAddressed(m.role, content) : sha256Hex(content)}`;
        own.push(id);
        if (seen.has(id)) continue;
        seen.add(id);
        ids.push(id);
        chunks.push({ id, message: m.index, role: m.role, channel, content, kind });
      }
      byMessage.push(own);
    }
    return { byMessage, ids, chunks };
  }

  /**
   * Writes the plan's chunks the store does not hold yet and adds them all to the agent's session, and
   * appends an audit entry for each chunk seen for the first time. Resolves once the store holds them
   * (durably) and the entries have their places in the log, with `audited`: settled when those entries
   * are durable. A decision made after this resolves is appended after them, so its own durability
   * covers theirs. Throws when the store refuses.
   */
  async record(
    agentId: string,
    session: string,
    plan: MessageChunkPlan,
  ): Promise<{ audited: Promise<void> }> {
    const audits: Promise<unknown>[] = [];
    try {
      for (const c of plan.chunks) {
        if (this.#stored.has(c.id)) continue;
        const { chunk, inserted, matched } =
          c.kind === 'data'
            ? await registerChunk(this.ctx, c.channel, c.content)
            : c.kind === 'opaque'
              ? await registerChunk(this.ctx, c.channel, '', {
                  bytes: Buffer.from(c.content, 'utf8'),
                  text: null,
                })
              : await this.#putInstruction(c);
        if (chunk.id !== c.id) throw new Error(`chunk id ${chunk.id} is not the planned ${c.id}`);
        if (inserted)
          audits.push(
            auditEvent(this.ctx, 'ingest', {
              by: agentId,
              via: 'openai-proxy',
              chunk: chunk.id,
              channel: chunk.channel,
              trust: chunk.trust,
              injection_suspected: chunk.injection_suspected,
              matched,
              role: c.role,
              message: c.message,
              scanned: c.kind !== 'instruction',
              ...(c.kind === 'opaque' ? { unread: 'a content part the proxy cannot read as text' } : {}),
              session,
              agent: agentId,
              first_seen: true,
            }),
          );
        this.#stored.add(c.id);
      }
      const key = (id: string) => `${agentId}\n${session}\n${id}`;
      const joining = plan.ids.filter((id) => !this.#joined.has(key(id)));
      if (joining.length > 0) {
        await this.ctx.store.addSessionChunks(session, agentId, joining);
        for (const id of joining) this.#joined.add(key(id));
      }
    } catch (e) {
      for (const pending of audits) pending.catch(() => {});
      throw e;
    }
    const audited = Promise.all(audits).then(() => undefined);
    audited.catch(() => {}); // the caller reads it when it needs to; a decision after it fails anyway
    return { audited };
  }

  /** An instruction or model turn: the channel's trust, not scanned (see the top of this file). */
  async #putInstruction(c: PlannedChunk): Promise<{ chunk: Chunk; inserted: boolean; matched: string[] }> {
    const { chunk, inserted } = await this.ctx.store.putChunk({
      id: c.id,
      channel: c.channel.name,
      trust: c.channel.trust,
      injection_suspected: false,
      content_hash: `sha256:${sha256Hex(c.content)}`,
      ingested_at: new Date(this.ctx.now()).toISOString(),
      bytes: Buffer.byteLength(c.content, 'utf8'),
    });
    return { chunk, inserted, matched: [] };
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The id of an instruction chunk: the SHA-256 of its role, a NUL, and its text. */
export function roleAddressed(role: string, text: string): string {
  return createHash('sha256').update(role, 'utf8').update('\0', 'utf8').update(text, 'utf8').digest('hex');
}
