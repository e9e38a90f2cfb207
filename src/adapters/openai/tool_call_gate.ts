// Every tool call a model answers with is proposed as an action before the agent sees it: decided,
// limits spent, recorded durably, and then passed with its execution token, or removed and explained.
// A call that cannot even be proposed (unreadable arguments, an unsupported kind, a gateway failure) is
// removed too, and the refusal audited when the log allows: nothing passes undecided.

import { isPlainObject } from '../../engine/index.js';
import { proposeAction } from '../../gateway/actions.js';
import { auditEvent, type GatewayContext } from '../../gateway/context.js';
import { GatewayError } from '../../gateway/gateway_error.js';
import type { Principal } from '../../store/store.js';
import { blockedCallNotice } from './blocked_call_notice.js';
import type { UpstreamConversationLayer } from './conversation_layer.js';
import { declaredIntent } from './declared_intent.js';

/** A tool call as the upstream sent it (streamed calls once their deltas are complete). */
export interface ProposedToolCall {
  choice: number;
  id: unknown;
  type: unknown;
  name: unknown;
  /** The JSON text of the arguments. */
  arguments: unknown;
  /** Why the proxy could not take it whole (e.g. it outgrew the buffer); it is refused. */
  defect?: string;
}

export interface GateSetting {
  agent: Principal;
  session: string;
  /** The chunks the request's messages became: cited by every call. */
  cited: readonly string[];
  /** The `_lobstertrap` block folded into every decision, if any. */
  lobstertrap: unknown;
  /** The upstream's Lobster Trap verdict, when it has one. */
  upstream: UpstreamConversationLayer | null;
  /** The assistant text of each choice, recorded as the calls' justification. */
  justification: (choice: number) => string | null;
  /** Why the messages could not be recorded; every call is refused then. */
  unrecorded: string | null;
}

export interface GatedToolCall {
  call: ProposedToolCall;
  allowed: boolean;
  /** The arguments an allowed call goes out with (the ones its token binds). */
  arguments: string;
  /** Its entry in the answer's `_carapace.decisions`. */
  report: Record<string, unknown>;
  /** For a removed call: what the agent reads instead. */
  notice: string | null;
}

/** The largest justification recorded (the envelope's bound). */
const JUSTIFICATION_CHARS = 4096;
/** The most calls one citation list holds (the envelope's bound), the latest messages first kept. */
const CITATIONS = 64;

/** Gates the calls in order (each spends limits and is recorded before the next is decided). */
export async function gateToolCalls(
  ctx: GatewayContext,
  setting: GateSetting,
  calls: readonly ProposedToolCall[],
): Promise<GatedToolCall[]> {
  // A turn Lobster Trap blocked is recorded as such, with or without calls in it.
  if (setting.upstream?.blocked) return refuseBlockedTurn(ctx, setting, calls);
  if (calls.length === 0) return [];
  const gated: GatedToolCall[] = [];
  const ids = new Set<unknown>();
  for (const call of calls) {
    // A token is found by its call's id: two calls under one id would make that ambiguous.
    const duplicate = typeof call.id === 'string' && ids.has(call.id);
    ids.add(call.id);
    gated.push(
      duplicate
        ? await refuseCall(
            ctx,
            setting,
            call,
            'E_TOOL_CALL_INVALID',
            'another call in this answer has its id',
          )
        : await gateToolCall(ctx, setting, call),
    );
  }
  return gated;
}

async function gateToolCall(
  ctx: GatewayContext,
  setting: GateSetting,
  call: ProposedToolCall,
): Promise<GatedToolCall> {
  const tool = typeof call.name === 'string' ? call.name : null;
  const refuse = (code: string, detail: string) => refuseCall(ctx, setting, call, code, detail);
  if (setting.unrecorded !== null) return refuse('E_SESSION_UNRECORDED', setting.unrecorded);
  if (call.defect !== undefined) return refuse('E_TOOL_CALL_INVALID', call.defect);
  if (call.type !== 'function')
    return refuse(
      'E_TOOL_CALL_UNSUPPORTED',
      `a tool call of type ${JSON.stringify(call.type)}; only function calls are gated`,
    );
  if (typeof call.id !== 'string' || call.id === '')
    return refuse('E_TOOL_CALL_INVALID', 'the call has no id');
  if (tool === null || tool === '') return refuse('E_TOOL_CALL_INVALID', 'the call names no function');
  let args: unknown;
  try {
    args = typeof call.arguments === 'string' ? JSON.parse(call.arguments) : undefined;
  } catch (e) {
    return refuse('E_TOOL_CALL_INVALID', `its arguments are not JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(args)) return refuse('E_TOOL_CALL_INVALID', 'its arguments are not a JSON object');
  const declared = declaredIntent(ctx.engine.catalog, tool, args);
  if (!declared.ok) return refuse('E_DECLARED_INTENT_INVALID', declared.detail);

  const justification = setting.justification(call.choice);
  const envelope = {
    intent: declared.intent,
    tool,
    args: declared.args,
    source_signals: setting.cited.slice(-CITATIONS),
    session: setting.session,
    ...(justification ? { justification: justification.slice(0, JUSTIFICATION_CHARS) } : {}),
  };
  let fields: Record<string, unknown>;
  try {
    ({ fields } = await proposeAction(ctx, setting.agent, {
      envelope,
      ...(setting.lobstertrap !== undefined ? { _lobstertrap: setting.lobstertrap } : {}),
    }));
  } catch (e) {
    if (e instanceof GatewayError) return refuse(e.code, e.detail);
    const code = (e as { code?: unknown }).code;
    return refuse(
      typeof code === 'string' && /^E_[A-Z0-9_]+$/.test(code) ? code : 'E_INTERNAL',
      'the call could not be decided',
    );
  }
  const report = {
    choice: call.choice,
    tool_call_id: call.id,
    tool,
    declared_intent: { intent: declared.intent, source: declared.source },
    ...fields,
  };
  const allowed = fields.decision === 'ALLOW' && typeof fields.token === 'string';
  // The token binds the arguments as decided: without `_intent`, and as the policy redacted them.
  const emitted = isPlainObject(fields.args)
    ? JSON.stringify(fields.args)
    : declared.stripped
      ? JSON.stringify(declared.args)
      : (call.arguments as string);
  return {
    call,
    allowed,
    arguments: emitted,
    report,
    notice: allowed
      ? null
      : blockedCallNotice({
          tool,
          id: call.id,
          decision: String(fields.decision),
          rule: String(fields.rule),
          explanation: String(fields.explanation),
          review: isPlainObject(fields.review) ? fields.review : null,
        }),
  };
}

/** A call refused before any decision: removed, explained, and audited when the log can take it. */
async function refuseCall(
  ctx: GatewayContext,
  setting: GateSetting,
  call: ProposedToolCall,
  code: string,
  detail: string,
): Promise<GatedToolCall> {
  const id = typeof call.id === 'string' ? call.id : null;
  const tool = typeof call.name === 'string' ? call.name : null;
  const explanation = `Denied: the proxy could not propose this call (${code}: ${detail}).`;
  let audit: { seq: number; hash: string } | null = null;
  try {
    const entry = await auditEvent(ctx, 'chat.tool_call_refused', {
      agent: setting.agent.id,
      session: setting.session,
      tool_call_id: id,
      tool,
      code,
      detail,
    });
    audit = { seq: entry.seq, hash: entry.hash };
  } catch {
    // The call is removed whether or not its refusal could be recorded.
  }
  return {
    call,
    allowed: false,
    arguments: '',
    report: { choice: call.choice, tool_call_id: id, tool, decision: 'DENY', rule: code, explanation, audit },
    notice: blockedCallNotice({ tool, id, decision: 'DENY', rule: code, explanation, review: null }),
  };
}

/** Lobster Trap did not let this turn through: every call in it is removed, under one audit entry. */
async function refuseBlockedTurn(
  ctx: GatewayContext,
  setting: GateSetting,
  calls: readonly ProposedToolCall[],
): Promise<GatedToolCall[]> {
  const signal = setting.upstream?.signal;
  const verdict = signal?.malformed ? 'unreadable' : (signal?.verdict ?? 'unknown');
  const explanation = signal?.malformed
    ? `Denied: the upstream's Lobster Trap block cannot be read (${signal.malformed}); failing closed.`
    : `Denied: the upstream Lobster Trap did not let this turn through (verdict ${verdict}).`;
  let audit: { seq: number; hash: string } | null = null;
  try {
    const entry = await auditEvent(ctx, 'conversation.verdict', {
      agent: setting.agent.id,
      session: setting.session,
      source: 'upstream',
      signal,
      tool_calls_removed: calls.map((c) => ({
        id: typeof c.id === 'string' ? c.id : null,
        tool: typeof c.name === 'string' ? c.name : null,
      })),
    });
    audit = { seq: entry.seq, hash: entry.hash };
  } catch {
    // Removed whether or not the log could take it.
  }
  return calls.map((call) => {
    const id = typeof call.id === 'string' ? call.id : null;
    const tool = typeof call.name === 'string' ? call.name : null;
    return {
      call,
      allowed: false,
      arguments: '',
      report: {
        choice: call.choice,
        tool_call_id: id,
        tool,
        decision: 'DENY',
        rule: 'lobstertrap',
        explanation,
        audit,
      },
      notice: blockedCallNotice({
        tool,
        id,
        decision: 'DENY',
        rule: 'lobstertrap',
        explanation,
        review: null,
      }),
    };
  });
}
