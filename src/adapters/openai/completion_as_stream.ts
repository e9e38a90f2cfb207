// A whole chat completion told as an event stream, for an agent that asked for a stream when the
// upstream answered with one JSON body instead (a Lobster Trap proxy does so when it blocks a turn).

import { choiceIndex } from './completion_gate.js';
import { sseData } from './stream_relay.js';

export function completionAsStream(
  completion: Record<string, unknown>,
  choices: readonly (Record<string, unknown> & { message: Record<string, unknown> })[],
  trailer: Record<string, unknown>,
): string {
  const meta = {
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
    ...(completion.system_fingerprint !== undefined
      ? { system_fingerprint: completion.system_fingerprint }
      : {}),
  };
  let text = '';
  for (const [position, choice] of choices.entries()) {
    const index = choiceIndex(choice, position);
    const message = choice.message;
    const delta: Record<string, unknown> = { role: 'assistant' };
    if (typeof message.content === 'string') delta.content = message.content;
    if (typeof message.refusal === 'string') delta.refusal = message.refusal;
    if (Array.isArray(message.tool_calls))
      delta.tool_calls = message.tool_calls.map((call, k) => ({ index: k, ...(call as object) }));
    text += sseData({ ...meta, choices: [{ index, delta, finish_reason: null }] });
    text += sseData({
      ...meta,
      choices: [{ index, delta: {}, finish_reason: choice.finish_reason ?? 'stop' }],
    });
  }
  const extra: Record<string, unknown> = {};
  if (completion.usage !== undefined) extra.usage = completion.usage;
  if (completion._lobstertrap !== undefined) extra._lobstertrap = completion._lobstertrap;
  text += sseData({ ...meta, choices: [], ...extra, ...trailer });
  return `${text}data: [DONE]\n\n`;
}
