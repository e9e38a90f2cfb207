// Reads an agent's chat-completions request as far as the proxy needs it, strictly: the stream flag,
// and each message's role, text and the channel it enters through. Everything else in the body is the
// upstream's to judge, and the body is forwarded as the bytes the agent sent.

import { canonicalJson, isPlainObject } from '../../engine/index.js';
import { GatewayError } from '../../gateway/gateway_error.js';
import type { JsonValue } from '../../store/store.js';
import type { RoleChannel } from './options.js';

export interface ChatMessage {
  index: number;
  role: string;
  /** Which role channel its content enters through. */
  channel: RoleChannel;
  /** For a tool-role (or legacy function-role) message: the tool whose output it is, when known. */
  tool: string | null;
  /** The text parts of its content, joined by a newline; null when it has none. */
  text: string | null;
  /** Parts the proxy cannot read as text (images, audio, files), each as its canonical JSON. */
  opaque: string[];
  /** An assistant message's earlier tool calls, as canonical JSON; null when it has none. */
  toolCalls: string | null;
}

export interface ChatRequest {
  stream: boolean;
  messages: ChatMessage[];
  /** What instruction integrity pins: each system or developer message as sent, and the tool list. */
  instructions: { system: JsonValue[]; tools: JsonValue[] };
}

const ROLE_CHANNEL: Record<string, RoleChannel> = {
  system: 'system',
  developer: 'system',
  user: 'user',
  assistant: 'assistant',
  tool: 'tool',
  function: 'tool',
};

const invalid = (detail: string) => new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', detail);

export function parseChatRequest(raw: Buffer, maxMessages: number): ChatRequest {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw invalid(`the body is not JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(body)) throw invalid('the body must be a JSON object');
  if (body.stream !== undefined && typeof body.stream !== 'boolean')
    throw invalid('stream: must be true or false');
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    throw invalid('messages: must be a non-empty array');
  if (body.messages.length > maxMessages)
    throw new GatewayError(
      413,
      'E_INPUT_TOO_LARGE',
      'input too large',
      `messages: more than ${maxMessages} messages`,
    );

  // Which tool each earlier call id named, so a tool-role answer enters through that tool's channel.
  const calledTool = new Map<string, string>();
  const messages = body.messages.map((m: unknown, index): ChatMessage => {
    const at = `messages[${index}]`;
    if (!isPlainObject(m)) throw invalid(`${at}: must be an object`);
    const role = m.role;
    if (typeof role !== 'string' || !Object.hasOwn(ROLE_CHANNEL, role))
      throw invalid(`${at}.role: must be one of ${Object.keys(ROLE_CHANNEL).join(', ')}`);
    const { text, opaque } = contentOf(m.content, `${at}.content`);
    const texts = text === null ? [] : [text];
    if (role === 'assistant' && typeof m.refusal === 'string' && m.refusal !== '') texts.push(m.refusal);

    let toolCalls: string | null = null;
    if (role === 'assistant' && m.tool_calls !== undefined && m.tool_calls !== null) {
      if (!Array.isArray(m.tool_calls)) throw invalid(`${at}.tool_calls: must be an array`);
      for (const call of m.tool_calls) {
        const fn = isPlainObject(call) && isPlainObject(call.function) ? call.function : null;
        if (isPlainObject(call) && typeof call.id === 'string' && fn && typeof fn.name === 'string')
          calledTool.set(call.id, fn.name);
      }
      if (m.tool_calls.length > 0) toolCalls = canonicalOrThrow(m.tool_calls, `${at}.tool_calls`);
    }
    if (role === 'assistant' && isPlainObject(m.function_call))
      toolCalls = canonicalOrThrow({ function_call: m.function_call }, `${at}.function_call`);

    let tool: string | null = null;
    if (role === 'tool') {
      if (typeof m.tool_call_id !== 'string') throw invalid(`${at}.tool_call_id: must be a string`);
      tool = calledTool.get(m.tool_call_id) ?? null;
    } else if (role === 'function') tool = typeof m.name === 'string' ? m.name : null;

    return {
      index,
      role,
      channel: ROLE_CHANNEL[role] as RoleChannel,
      tool,
      text: texts.length > 0 ? texts.join('\n') : null,
      opaque,
      toolCalls,
    };
  });
  const system = (body.messages as Array<Record<string, unknown>>)
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => ({ role: m.role, content: (m.content ?? null) as JsonValue }) as JsonValue);
  if (body.tools !== undefined && body.tools !== null && !Array.isArray(body.tools))
    throw invalid('tools: must be an array');
  if (body.functions !== undefined && body.functions !== null && !Array.isArray(body.functions))
    throw invalid('functions: must be an array');
  // The legacy `functions` list offers tools as much as `tools` does: both are pinned.
  const tools = [
    ...((body.tools as JsonValue[] | undefined) ?? []),
    ...((body.functions as JsonValue[] | undefined) ?? []).map((f) => ({ type: 'function', function: f })),
  ];
  return { stream: body.stream === true, messages, instructions: { system, tools } };
}

/** A message content: a string, null, or an array of parts of which `text` and `refusal` are text. */
function contentOf(content: unknown, at: string): { text: string | null; opaque: string[] } {
  if (content === undefined || content === null) return { text: null, opaque: [] };
  if (typeof content === 'string') return { text: content === '' ? null : content, opaque: [] };
  if (!Array.isArray(content)) throw invalid(`${at}: must be a string, null or an array of parts`);
  const texts: string[] = [];
  const opaque: string[] = [];
  for (const [i, part] of content.entries()) {
    if (!isPlainObject(part) || typeof part.type !== 'string')
      throw invalid(`${at}[${i}]: must be an object with a type`);
    if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else if (part.type === 'refusal' && typeof part.refusal === 'string') texts.push(part.refusal);
    else opaque.push(canonicalOrThrow(part, `${at}[${i}]`));
  }
  const text = texts.join('\n');
  return { text: text === '' ? null : text, opaque };
}

function canonicalOrThrow(value: unknown, at: string): string {
  try {
    return canonicalJson(value);
  } catch (e) {
    throw invalid(`${at}: ${(e as Error).message}`);
  }
}
