// The conversation layer on the proxy: a `_lobstertrap` block from an upstream Lobster Trap proxy (which
// answers HTTP 200 even when it blocks, so its verdict has to be read), or the proxy's own block over
// the request's messages when the upstream sends none. Either is folded into every tool call's decision
// by the engine's one fold; an upstream verdict that blocked the turn is also honoured as it stands.

import {
  type ConversationSignal,
  extractLobsterTrapBlock,
  parseLobsterTrapBlock,
} from '../../engine/index.js';
import { lobstertrapBlock } from '../../inspect/injection/index.js';
import type { ChatMessage } from './chat_request.js';

/** Verdicts with which Lobster Trap did not let the turn through (the engine's blocking set). */
const BLOCKING: ReadonlySet<string> = new Set(['DENY', 'QUARANTINE', 'HUMAN_REVIEW', 'RATE_LIMIT']);

export interface UpstreamConversationLayer {
  block: unknown;
  signal: ConversationSignal;
  /** Lobster Trap blocked the turn, or its block cannot be read (fail closed). */
  blocked: boolean;
}

/** The upstream's `_lobstertrap` block in a chat response or stream chunk; null when it sent none. */
export function upstreamConversationLayer(payload: unknown): UpstreamConversationLayer | null {
  const block = extractLobsterTrapBlock(payload);
  if (block === null) return null;
  const signal = parseLobsterTrapBlock(block);
  if (!signal.present) return null;
  const blocked = signal.malformed !== null || (signal.verdict !== null && BLOCKING.has(signal.verdict));
  return { block, signal, blocked };
}

/**
 * Carapace's own block over the data the request carries: the tool outputs' text joined by newlines (as
 * Lobster Trap joins a prompt). Instructions are left out: Carapace's inspector looks for instructions
 * where there should be none, and in a system or user message they belong (a question is no attack).
 */
export function ownConversationLayer(messages: readonly ChatMessage[]): ReturnType<typeof lobstertrapBlock> {
  const text = messages
    .filter((m) => m.channel === 'tool')
    .map((m) => m.text)
    .filter((t): t is string => t !== null)
    .join('\n');
  return lobstertrapBlock(text);
}
