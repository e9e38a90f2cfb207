// What guard() hands a gateway for each call, and what every gateway (remote over HTTP, embedded in
// process) promises in return: decide first, record the decision, call the function only on ALLOW and
// only with the arguments the decision binds, and return its output inspected.

import type { DecisionRecord, IntentClass, TrustLevel } from '../engine/index.js';
import type { AuditRef } from './errors.js';

/** One proposed call of a guarded tool, as the intent envelope will carry it. */
export interface GuardedAction {
  /** The tool as the gateway's catalog names it. */
  tool: string;
  /** The intent declared for this tool in guard()'s options. */
  intent: IntentClass;
  /** The call's arguments as JSON (a copy). */
  args: Record<string, unknown>;
  /** Ids of the chunks (ingested content) that justify this call. */
  sources: string[];
  session?: string;
  target?: string;
  justification?: string;
  /** A `_lobstertrap` block from a conversation-layer inspector, folded into the decision. */
  lobstertrap?: unknown;
}

/** What a gateway does with the output of a guarded function. */
export interface OutputRules {
  /** Data types to redact beyond the defaults: `PII`, `SECRET` or detector types (EMAIL_ADDRESS, ...). */
  redact: readonly string[];
  /** The trust of the output when it becomes a chunk of the session (embedded mode). */
  trust: TrustLevel;
  /** How long the function may run before its call is recorded as failed. */
  timeoutMs: number;
}

/** Told to `onDecision` for every call, after the decision is recorded and before anything runs. */
export interface DecisionEvent {
  /** The key the tool has in guard()'s record (or its LangChain name). */
  name: string;
  tool: string;
  decision: DecisionRecord['decision'];
  rule: string;
  explanation: string;
  audit: AuditRef | null;
  /** The review holding the call, for HUMAN_REVIEW. */
  review?: { id: string; expires_at: string };
}

/** A chunk as ingestion made it: its id is what a later call cites in `sources`. */
export interface IngestedChunk {
  id: string;
  trust: TrustLevel;
  injection_suspected: boolean;
  /** Names of the injection patterns that matched, if any. */
  matched: string[];
}

/** The decision point guard() talks to: connectGateway() (remote) or openEmbeddedGateway() (in process). */
export interface CarapaceGateway {
  readonly mode: 'remote' | 'embedded';
  /**
   * Decides `action`; on ALLOW calls `run` once with the arguments the decision binds (a policy may
   * have redacted some) and resolves with its inspected output. Throws CarapaceDeniedError,
   * CarapaceReviewPendingError or CarapaceError otherwise, without calling `run`.
   */
  perform(
    action: GuardedAction,
    rules: OutputRules,
    run: (args: Record<string, unknown>) => unknown,
    onDecision?: (event: Omit<DecisionEvent, 'name'>) => void,
  ): Promise<unknown>;
  /**
   * Registers content the agent was shown (a prompt, a log line, a page) as a chunk, optionally joining
   * `session`. Remote: the chunk takes the trust of the channel the agent's key is bound to. Embedded:
   * the trust of `channel`, one of the channels the gateway was opened with.
   */
  ingest(content: string, options?: { session?: string; channel?: string }): Promise<IngestedChunk>;
  /** Waits for calls in flight, then releases what the gateway holds. Later calls are refused. */
  close(): Promise<void>;
}

/** The `/v1/actions` body for a guarded call: its envelope and, when given, the `_lobstertrap` block. */
export function proposalBody(action: GuardedAction): {
  envelope: Record<string, unknown>;
  _lobstertrap?: unknown;
} {
  return {
    envelope: {
      intent: action.intent,
      tool: action.tool,
      args: action.args,
      source_signals: action.sources,
      ...(action.session !== undefined ? { session: action.session } : {}),
      ...(action.target !== undefined ? { target: action.target } : {}),
      ...(action.justification !== undefined ? { justification: action.justification } : {}),
    },
    ...(action.lobstertrap !== undefined ? { _lobstertrap: action.lobstertrap } : {}),
  };
}
