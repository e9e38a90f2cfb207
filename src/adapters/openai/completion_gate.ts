// A whole (non-streamed) chat completion through the gate: its tool calls are read out, and once they
// are decided the completion is rewritten: allowed calls stay where they were with the arguments their
// tokens bind, removed ones leave their explanation in the message's text.

import { isPlainObject } from '../../engine/index.js';
import { GatewayError } from '../../gateway/gateway_error.js';
import type { GatedToolCall, ProposedToolCall } from './tool_call_gate.js';

export interface CompletionCalls {
  calls: ProposedToolCall[];
  /** The assistant text of each choice, by choice index. */
  texts: Map<number, string>;
}

type Choice = Record<string, unknown> & { message: Record<string, unknown> };

const invalid = (detail: string) =>
  new GatewayError(
    502,
    'E_UPSTREAM_INVALID',
    'the upstream answered with something that is not a chat completion',
    detail,
  );

/** Checks the completion's shape as far as the gate reads it; a 502 when it is not one. */
export function completionChoices(completion: unknown): Choice[] {
  if (!isPlainObject(completion) || !Array.isArray(completion.choices))
    throw invalid('choices: must be an array');
  return completion.choices.map((choice: unknown, i) => {
    if (!isPlainObject(choice) || !isPlainObject(choice.message))
      throw invalid(`choices[${i}].message: must be an object`);
    const calls = choice.message.tool_calls;
    if (calls !== undefined && calls !== null && !Array.isArray(calls))
      throw invalid(`choices[${i}].message.tool_calls: must be an array`);
    return choice as Choice;
  });
}

export function choiceIndex(choice: Record<string, unknown>, position: number): number {
  return Number.isSafeInteger(choice.index) ? (choice.index as number) : position;
}

export function completionCalls(choices: readonly Choice[]): CompletionCalls {
  const calls: ProposedToolCall[] = [];
  const texts = new Map<number, string>();
  for (const [position, choice] of choices.entries()) {
    const index = choiceIndex(choice, position);
    const message = choice.message;
    if (typeof message.content === 'string') texts.set(index, message.content);
    for (const call of (message.tool_calls as unknown[] | null | undefined) ?? []) {
      const c = isPlainObject(call) ? call : {};
      const fn = isPlainObject(c.function) ? c.function : {};
      calls.push({ choice: index, id: c.id, type: c.type, name: fn.name, arguments: fn.arguments });
    }
    // The legacy single function_call is not a tool call the gate can hand a token for: refused.
    if (message.function_call !== undefined && message.function_call !== null) {
      const fn = isPlainObject(message.function_call) ? message.function_call : {};
      calls.push({ choice: index, id: null, type: 'function_call', name: fn.name, arguments: fn.arguments });
    }
  }
  return { calls, texts };
}

/** Rewrites the choices once their calls are decided. */
export function applyGatedCalls(choices: readonly Choice[], gated: readonly GatedToolCall[]): void {
  for (const [position, choice] of choices.entries()) {
    const index = choiceIndex(choice, position);
    const mine = gated.filter((g) => g.call.choice === index);
    if (mine.length === 0) continue;
    const message = choice.message;
    // Rebuilt from what was decided, so an allowed call carries exactly the name, id and arguments its
    // token binds.
    const kept = mine
      .filter((g) => g.allowed)
      .map((g) => ({
        id: g.call.id,
        type: 'function',
        function: { name: g.call.name, arguments: g.arguments },
      }));
    if (kept.length > 0) message.tool_calls = kept;
    else delete message.tool_calls;
    delete message.function_call;
    const notices = mine.map((g) => g.notice).filter((n): n is string => n !== null);
    if (notices.length > 0) {
      const before = typeof message.content === 'string' && message.content !== '' ? [message.content] : [];
      message.content = [...before, ...notices].join('\n\n');
    }
    if (
      kept.length === 0 &&
      (choice.finish_reason === 'tool_calls' || choice.finish_reason === 'function_call')
    )
      choice.finish_reason = 'stop';
  }
}
