// The session a chat request belongs to: the one the agent's runtime names in X-Carapace-Session, or
// one derived from how the conversation opens. Sessions are per agent in the store, so either way one
// agent can never read or taint another's.

import { createHash } from 'node:crypto';
import { GatewayError } from '../../gateway/gateway_error.js';
import { SESSION } from '../../gateway/schemas.js';
import type { ChatMessage } from './chat_request.js';

export const SESSION_HEADER = 'x-carapace-session';

export interface ChatSession {
  id: string;
  source: 'header' | 'derived';
}

/**
 * A derived session is named after the conversation's opening: every message up to and including the
 * first user message (or the first message when there is none). Later turns of the same conversation
 * repeat that opening, so they land in the same session. Two conversations that open alike share one:
 * that can only add taint, never remove it. A runtime that drops the opening from its history starts a
 * new session; long-running agents should name theirs.
 */
export function chatSession(
  header: string | string[] | undefined,
  agentId: string,
  messages: readonly ChatMessage[],
): ChatSession {
  if (header !== undefined) {
    if (typeof header !== 'string' || !SESSION.test(header))
      throw new GatewayError(
        400,
        'E_REQUEST_INVALID',
        'invalid request',
        `${SESSION_HEADER}: one value matching ${SESSION.source}`,
      );
    return { id: header, source: 'header' };
  }
  const firstUser = messages.findIndex((m) => m.role === 'user');
  const opening = messages.slice(0, firstUser >= 0 ? firstUser + 1 : 1);
  const hash = createHash('sha256').update(agentId, 'utf8');
  for (const m of opening)
    hash.update(`\n${JSON.stringify([m.role, m.text, m.opaque, m.toolCalls])}`, 'utf8');
  return { id: `chat:${hash.digest('hex').slice(0, 32)}`, source: 'derived' };
}
