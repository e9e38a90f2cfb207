// A streamed chat completion through the gate. Text deltas go to the agent the moment they arrive; tool
// call deltas are held until the upstream's stream is complete, then the whole calls are decided and
// only the allowed ones are sent (in one delta each), the removed ones as explanatory text, then the
// held finish, the `_carapace` block and [DONE]. A stream that breaks off ends with an error event and
// its unfinished calls are never sent. Every form of Carapace's upstream key is stripped: from each
// whole event (so a read boundary inside an event splits nothing), from streamed text across events
// (the end of a delta that could begin a form is held back until the next one), and from each call's
// whole arguments before they are decided.

import type { Writable } from 'node:stream';
import { isPlainObject } from '../../engine/index.js';
import { GatewayError } from '../../gateway/gateway_error.js';
import { type UpstreamConversationLayer, upstreamConversationLayer } from './conversation_layer.js';
import { SseParser, SseTooLarge } from './sse_parser.js';
import type { GatedToolCall, ProposedToolCall } from './tool_call_gate.js';
import { asUpstreamError, type UpstreamAnswer } from './upstream_client.js';
import type { SecretStripper, StreamingStripper } from '../../executors/http/secret_stripper.js';

/** What the relay asks of the route once the stream is complete: decide these calls. */
export type DecideStreamedCalls = (
  calls: ProposedToolCall[],
  upstream: UpstreamConversationLayer | null,
  texts: ReadonlyMap<number, string>,
) => Promise<{ gated: GatedToolCall[]; trailer: Record<string, unknown> }>;

/** A call's arguments are buffered up to this many characters; a longer call is refused. */
const MAX_CALL_ARGUMENT_CHARS = 256 * 1024;
/** The most calls one choice may stream; more are refused. */
const MAX_CALLS_PER_CHOICE = 128;
/** The assistant text kept per choice for the calls' justification. */
const JUSTIFICATION_CHARS = 4096;
/** Delta fields holding text a model streams in pieces: stripped across events. */
const STREAMED_TEXT_FIELDS = ['content', 'refusal', 'reasoning_content', 'reasoning'] as const;

interface BufferedCall {
  id: unknown;
  type: unknown;
  name: unknown;
  arguments: string;
  defect?: string;
}

interface ChoiceState {
  text: string;
  sentText: boolean;
  calls: Map<number, BufferedCall>;
  /** The finish_reason held back while the choice's calls wait for their decisions. */
  finish: string | null;
  /** Per streamed text field, the stripper holding back a tail that could begin a form of the key. */
  strippers: Map<string, StreamingStripper>;
}

export function sseData(value: unknown): string {
  return `data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`;
}

export function sseError(e: GatewayError): string {
  return sseData(e.body);
}

/**
 * Relays the upstream's event stream to `out`. Resolves when `out` has been ended; never rejects (a
 * failure ends the stream with an error event).
 */
export async function relayChatStream(
  answer: UpstreamAnswer,
  out: Writable,
  decide: DecideStreamedCalls,
  limits: { maxResponseBytes: number; stripper?: SecretStripper | null },
): Promise<void> {
  const stripper = limits.stripper ?? null;
  const parser = new SseParser(limits.maxResponseBytes);
  const choices = new Map<number, ChoiceState>();
  const tail: string[] = [];
  const meta: Record<string, unknown> = { object: 'chat.completion.chunk' };
  let upstream: UpstreamConversationLayer | null = null;
  let bytes = 0;
  let done = false;
  const write = (text: string) => {
    if (!out.writableEnded && !out.destroyed) out.write(text);
  };
  const choice = (index: number): ChoiceState => {
    let state = choices.get(index);
    if (!state) {
      state = { text: '', sentText: false, calls: new Map(), finish: null, strippers: new Map() };
      choices.set(index, state);
    }
    return state;
  };

  try {
    // Not destroyed on leaving the loop at [DONE]: the rest drains, and the socket goes back to the pool.
    reading: for await (const piece of answer.body.iterator({ destroyOnReturn: false })) {
      const buffer = piece as Buffer;
      bytes += buffer.length;
      if (bytes > limits.maxResponseBytes)
        throw new GatewayError(
          502,
          'E_UPSTREAM_TOO_LARGE',
          'the upstream answer is too large',
          `more than ${limits.maxResponseBytes} bytes`,
        );
      for (const parsed of parser.push(buffer)) {
        const event = stripper ? { data: stripper.stripText(parsed.data).text } : parsed;
        if (event.data === '[DONE]') {
          done = true;
          break reading;
        }
        let chunk: unknown;
        try {
          chunk = JSON.parse(event.data);
        } catch {
          throw new GatewayError(
            502,
            'E_UPSTREAM_INVALID',
            'the upstream answer cannot be read',
            'an event is not JSON',
          );
        }
        if (!isPlainObject(chunk))
          throw new GatewayError(
            502,
            'E_UPSTREAM_INVALID',
            'the upstream answer cannot be read',
            'an event is not a JSON object',
          );
        if (chunk.error !== undefined && chunk.error !== null) {
          // The upstream's own error event ends the stream as it is; nothing held is sent.
          write(sseData(event.data));
          out.end();
          answer.body.destroy();
          return;
        }
        const layer = upstreamConversationLayer(chunk);
        if (layer) upstream = layer;
        for (const key of ['id', 'created', 'model', 'system_fingerprint'])
          if (chunk[key] !== undefined) meta[key] = chunk[key];

        const list = Array.isArray(chunk.choices) ? (chunk.choices as unknown[]) : [];
        let changed = false;
        // Only the gateway speaks in `_carapace`: an upstream cannot hand the agent decisions or tokens.
        if (Object.hasOwn(chunk, '_carapace')) {
          delete chunk._carapace;
          changed = true;
        }
        for (const item of list) {
          if (!isPlainObject(item)) continue;
          const index = Number.isSafeInteger(item.index) ? (item.index as number) : 0;
          const state = choice(index);
          const delta = isPlainObject(item.delta) ? item.delta : {};
          if (stripper && holdBackSplitForms(state, delta, stripper, item.finish_reason)) {
            if (!isPlainObject(item.delta)) item.delta = delta;
            changed = true;
          }
          if (typeof delta.content === 'string' && delta.content !== '') {
            state.sentText = true;
            if (state.text.length < JUSTIFICATION_CHARS) state.text += delta.content;
          }
          if (delta.tool_calls !== undefined) {
            bufferToolCalls(state, delta.tool_calls);
            delete delta.tool_calls;
            changed = true;
          }
          if (delta.function_call !== undefined) {
            bufferLegacyCall(state, delta.function_call);
            delete delta.function_call;
            changed = true;
          }
          if (item.finish_reason !== undefined && item.finish_reason !== null && state.calls.size > 0) {
            state.finish = String(item.finish_reason);
            item.finish_reason = null;
            changed = true;
          }
        }
        if (!changed) {
          // Events after a held finish that carry no choice (usage) wait for the decided calls.
          if (list.length === 0 && [...choices.values()].some((c) => c.finish !== null))
            tail.push(sseData(event.data));
          else write(sseData(event.data));
          continue;
        }
        const kept = list.filter(
          (item) =>
            !isPlainObject(item) ||
            (item.finish_reason !== null && item.finish_reason !== undefined) ||
            (isPlainObject(item.delta) && Object.keys(item.delta).length > 0) ||
            (item.logprobs !== undefined && item.logprobs !== null),
        );
        const extra = Object.keys(chunk).some(
          (k) =>
            ![
              'id',
              'object',
              'created',
              'model',
              'system_fingerprint',
              'choices',
              'service_tier',
              'obfuscation',
            ].includes(k) && chunk[k] !== null,
        );
        if (kept.length > 0 || extra) write(sseData({ ...chunk, choices: kept }));
      }
    }
    // Text still held back (no finish_reason came for its choice) goes out before the decided calls.
    for (const [index, state] of [...choices.entries()].sort((a, b) => a[0] - b[0])) {
      const rest: Record<string, string> = {};
      for (const [field, held] of state.strippers) if (held.holding) rest[field] = held.flush();
      if (Object.keys(rest).length > 0)
        write(sseData({ ...meta, choices: [{ index, delta: rest, finish_reason: null }] }));
    }
    if (!done) {
      // No [DONE]: complete only if nothing was half-read and every choice with calls finished.
      const unfinished = [...choices.values()].some((c) => c.calls.size > 0 && c.finish === null);
      if (!parser.idle || unfinished)
        throw new GatewayError(
          502,
          'E_UPSTREAM_TRUNCATED',
          'the upstream stream broke off',
          'it ended before its tool calls were complete',
        );
    }
  } catch (e) {
    answer.body.destroy();
    const error =
      e instanceof SseTooLarge
        ? new GatewayError(502, 'E_UPSTREAM_TOO_LARGE', 'the upstream answer is too large', e.message)
        : asUpstreamError(e);
    write(sseError(error));
    out.end();
    return;
  }
  if (done) {
    answer.body.on('error', () => {});
    answer.body.resume();
  }

  const calls: ProposedToolCall[] = [];
  const texts = new Map<number, string>();
  for (const [index, state] of [...choices.entries()].sort((a, b) => a[0] - b[0])) {
    if (state.text !== '') texts.set(index, state.text);
    for (const [, c] of [...state.calls.entries()].sort((a, b) => a[0] - b[0]))
      calls.push({
        choice: index,
        id: c.id,
        type: c.type,
        name: stripper && typeof c.name === 'string' ? stripper.stripText(c.name).text : c.name,
        // Whole, after the last delta: a form split across argument deltas is found here.
        arguments: stripper ? stripper.stripText(c.arguments).text : c.arguments,
        ...(c.defect ? { defect: c.defect } : {}),
      });
  }
  let decided: Awaited<ReturnType<DecideStreamedCalls>>;
  try {
    decided = await decide(calls, upstream, texts);
  } catch (e) {
    write(
      sseError(
        e instanceof GatewayError
          ? e
          : new GatewayError(500, 'E_INTERNAL', 'internal error', 'the tool calls could not be decided'),
      ),
    );
    out.end();
    return;
  }
  const frame = (choicesOut: unknown[]) => sseData({ ...meta, choices: choicesOut });
  for (const [index, state] of [...choices.entries()].sort((a, b) => a[0] - b[0])) {
    if (state.calls.size === 0) continue;
    const mine = decided.gated.filter((g) => g.call.choice === index);
    const allowed = mine.filter((g) => g.allowed);
    if (allowed.length > 0)
      write(
        frame([
          {
            index,
            delta: {
              tool_calls: allowed.map((g, k) => ({
                index: k,
                id: g.call.id,
                type: 'function',
                function: { name: g.call.name, arguments: g.arguments },
              })),
            },
            finish_reason: null,
          },
        ]),
      );
    const notices = mine.map((g) => g.notice).filter((n): n is string => n !== null);
    if (notices.length > 0)
      write(
        frame([
          {
            index,
            delta: { content: `${state.sentText ? '\n\n' : ''}${notices.join('\n\n')}` },
            finish_reason: null,
          },
        ]),
      );
    const finish =
      allowed.length === 0 && (state.finish === 'tool_calls' || state.finish === 'function_call')
        ? 'stop'
        : state.finish;
    write(frame([{ index, delta: {}, finish_reason: finish }]));
  }
  for (const event of tail) write(event);
  write(sseData({ ...meta, choices: [], ...decided.trailer }));
  write('data: [DONE]\n\n');
  out.end();
}

/**
 * Streams each text field of `delta` through its choice's stripper (what could begin a form of the key
 * is held back), and at the choice's finish_reason gives back what is held. True when the delta changed.
 */
function holdBackSplitForms(
  state: ChoiceState,
  delta: Record<string, unknown>,
  stripper: SecretStripper,
  finish: unknown,
): boolean {
  let changed = false;
  for (const field of STREAMED_TEXT_FIELDS) {
    const piece = delta[field];
    let held = state.strippers.get(field);
    if (typeof piece === 'string' && piece !== '') {
      if (!held) {
        held = stripper.stream();
        state.strippers.set(field, held);
      }
      const now = held.push(piece);
      if (now !== piece) {
        delta[field] = now;
        changed = true;
      }
    }
    if (finish !== undefined && finish !== null && held?.holding) {
      delta[field] = `${typeof delta[field] === 'string' ? (delta[field] as string) : ''}${held.flush()}`;
      changed = true;
    }
  }
  return changed;
}

function bufferToolCalls(state: ChoiceState, deltas: unknown): void {
  if (!Array.isArray(deltas)) {
    state.calls.set(-1, {
      id: null,
      type: null,
      name: null,
      arguments: '',
      defect: 'tool_calls in a delta is not an array',
    });
    return;
  }
  for (const d of deltas) {
    const index = isPlainObject(d) && Number.isSafeInteger(d.index) ? (d.index as number) : -1;
    let call = state.calls.get(index);
    if (!call) {
      call = { id: undefined, type: undefined, name: undefined, arguments: '' };
      if (index < 0) call.defect = 'a tool call delta has no index';
      else if (state.calls.size >= MAX_CALLS_PER_CHOICE)
        call.defect = `more than ${MAX_CALLS_PER_CHOICE} calls`;
      state.calls.set(index, call);
    }
    if (!isPlainObject(d) || call.defect !== undefined) continue;
    if (typeof d.id === 'string' && d.id !== '') call.id = d.id;
    if (typeof d.type === 'string' && d.type !== '') call.type = d.type;
    const fn = isPlainObject(d.function) ? d.function : {};
    if (typeof fn.name === 'string' && fn.name !== '') call.name = fn.name;
    if (typeof fn.arguments === 'string') {
      if (call.arguments.length + fn.arguments.length > MAX_CALL_ARGUMENT_CHARS) {
        call.defect = `its arguments are longer than ${MAX_CALL_ARGUMENT_CHARS} characters`;
        call.arguments = '';
      } else call.arguments += fn.arguments;
    }
  }
}

/** The legacy single function_call: buffered like a call, then refused (it cannot carry a token). */
function bufferLegacyCall(state: ChoiceState, delta: unknown): void {
  let call = state.calls.get(-2);
  if (!call) {
    call = { id: null, type: 'function_call', name: undefined, arguments: '' };
    state.calls.set(-2, call);
  }
  const fn = isPlainObject(delta) ? delta : {};
  if (typeof fn.name === 'string' && fn.name !== '') call.name = fn.name;
}
