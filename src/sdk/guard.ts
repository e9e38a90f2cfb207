// guard(): wraps a set of tools so that each call is decided by a Carapace gateway before the tool's
// function runs. Three shapes are understood: plain async functions, Vercel AI SDK tools (`execute` is
// wrapped) and LangChain.js tools (`_call` is wrapped on a copy, so invoke/batch/callbacks keep
// working). Every check that can be made when wrapping is made then; every call is checked again.

import {
  type IntentClass,
  INTENT_CLASSES,
  isIntentClass,
  isPlainObject,
  isTrustLevel,
  LIMITS,
  type TrustLevel,
} from '../engine/index.js';
import { REDACTABLE_TYPES } from '../gateway/inspection.js';
import { SESSION } from '../gateway/schemas.js';
import type { CarapaceGateway, DecisionEvent, GuardedAction, OutputRules } from './action.js';
import { CarapaceError } from './errors.js';
import { DEFAULT_TOOL_TIMEOUT_MS } from './tool_output.js';

/** What guard() needs to know about one tool. A bare intent string is `{ intent }`. */
export interface ToolSpec {
  /** The intent this tool's calls declare. The gateway detects the intent from its catalog; a mismatch is R1. */
  intent: IntentClass;
  /** The tool's name in the gateway's catalog, when it differs from its key (or LangChain name). */
  tool?: string;
  /** Recorded with each call, never used to decide. */
  target?: string;
  justification?: string;
  /** Data types to redact from the output beyond the defaults: `PII`, `SECRET`, or a detector type. */
  redact?: string[];
  /**
   * Trust of the output when it becomes a chunk of the session (embedded mode only: the operator's own
   * process); default `untrusted`. A remote gateway takes every output an agent sends as untrusted.
   */
  outputTrust?: TrustLevel;
  /** How long the function may run (default 30 s); later, the call is recorded as failed. */
  timeoutMs?: number;
}

/** Per-call facts the gateway needs to judge provenance. */
export interface CallContext {
  /** The session whose content the agent has seen (session taint). */
  session?: string;
  /** Ids of the chunks that justify this call (from ingest()). */
  sources?: string[];
  target?: string;
  justification?: string;
  /** A `_lobstertrap` block from a conversation-layer inspector. */
  lobstertrap?: unknown;
}

export interface GuardOptions {
  /** connectGateway() or openEmbeddedGateway(). */
  gateway: CarapaceGateway;
  /** Every guarded tool's spec, by its key in `tools` (or its LangChain name). */
  tools: Record<string, IntentClass | ToolSpec>;
  /** The session and sources of every call, unless a call or `context` says otherwise. */
  session?: string;
  sources?: string[];
  /**
   * Called for each call before it is proposed; what it returns overrides `session` and `sources` field
   * by field, and a call's own context (second argument, `experimental_context.carapace`, or LangChain
   * `configurable.carapace`) overrides it in turn.
   */
  context?: (call: {
    name: string;
    tool: string;
    args: Record<string, unknown>;
  }) => CallContext | undefined | Promise<CallContext | undefined>;
  /** Told every decision once it is recorded, before the function runs (an exception stops the call). */
  onDecision?: (event: DecisionEvent) => void;
}

/** A plain function, guarded: same arguments, plus an optional per-call context; always async. */
export type GuardedFunction<F> = F extends (...args: infer P) => infer R
  ? (args: P extends [] ? Record<string, unknown> : P[0], context?: CallContext) => Promise<Awaited<R>>
  : F;

export type GuardedTools<T> = { [K in keyof T]: GuardedFunction<T[K]> };

const SPEC_FIELDS = ['intent', 'tool', 'target', 'justification', 'redact', 'outputTrust', 'timeoutMs'];
const CONTEXT_FIELDS = ['session', 'sources', 'target', 'justification', 'lobstertrap'];
const TOOL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/;

/**
 * Wraps each tool of `tools` (a record, or an array of LangChain tools) so that every call is decided
 * by `options.gateway` before the tool runs. Returns the same shape, tool for tool. Throws CarapaceError
 * (E_OPTIONS_INVALID) at once for a tool without a spec, a spec that is not valid, or a tool of a shape
 * it does not know.
 */
export function guard<T extends readonly unknown[]>(tools: T, options: GuardOptions): T;
export function guard<T extends Record<string, unknown>>(tools: T, options: GuardOptions): GuardedTools<T>;
export function guard(tools: Record<string, unknown> | readonly unknown[], options: GuardOptions): unknown {
  const bad = (detail: string) => new CarapaceError('E_OPTIONS_INVALID', 'invalid guard() options', detail);
  if (!isPlainObject(options)) throw bad('options: an object with gateway and tools');
  for (const key of Object.keys(options))
    if (!['gateway', 'tools', 'session', 'sources', 'context', 'onDecision'].includes(key))
      throw bad(`unknown option "${key}"`);
  const gateway = options.gateway;
  if (!gateway || typeof gateway.perform !== 'function')
    throw bad('gateway: connectGateway() or openEmbeddedGateway()');
  if (!isPlainObject(options.tools)) throw bad('tools: a spec for each tool');
  if (options.context !== undefined && typeof options.context !== 'function')
    throw bad('context: a function');
  if (options.onDecision !== undefined && typeof options.onDecision !== 'function')
    throw bad('onDecision: a function');
  const defaults = checkContext({ session: options.session, sources: options.sources }, 'options', bad);

  const entries: [string, unknown][] = Array.isArray(tools)
    ? tools.map((t, i) => {
        if (!isLangChainTool(t)) throw bad(`tools[${i}]: an array may hold only LangChain tools`);
        return [t.name, t];
      })
    : isPlainObject(tools)
      ? Object.entries(tools)
      : [];
  if (entries.length === 0) throw bad('tools: a record of tools, or an array of LangChain tools');
  const names = new Set<string>();
  const wrapped = entries.map(([name, tool]) => {
    if (names.has(name)) throw bad(`tools: two tools are named "${name}"`);
    names.add(name);
    // Own properties only: a tool named `constructor` must not find Object's.
    const spec = checkSpec(name, Object.hasOwn(options.tools, name) ? options.tools[name] : undefined, bad);
    // Over HTTP the agent would be vouching for its own output: only the operator raises its trust.
    if (gateway.mode !== 'embedded' && spec.rules.trust !== 'untrusted')
      throw bad(`tools.${name}.outputTrust: a remote gateway takes every output an agent sends as untrusted`);
    const guarded = new GuardedTool(name, spec, gateway, defaults, options);
    if (typeof tool === 'function') return [name, guarded.plain(tool as (args: unknown) => unknown)] as const;
    if (isLangChainTool(tool)) return [name, guarded.langchain(tool)] as const;
    if (isVercelTool(tool)) return [name, guarded.vercel(tool)] as const;
    throw bad(
      `tools.${name}: not a function, a Vercel AI SDK tool with execute, or a LangChain tool` +
        (isPlainObject(tool) && 'inputSchema' in tool
          ? ' (a Vercel tool without execute runs elsewhere)'
          : ''),
    );
  });
  return Array.isArray(tools) ? wrapped.map(([, t]) => t) : Object.fromEntries(wrapped);
}

interface CheckedSpec {
  intent: IntentClass;
  tool: string;
  target?: string;
  justification?: string;
  rules: OutputRules;
}

type Bad = (detail: string) => CarapaceError;

function checkSpec(name: string, value: unknown, bad: Bad): CheckedSpec {
  const at = `tools.${name}`;
  if (value === undefined) throw bad(`${at}: no spec; every guarded tool declares its intent`);
  const spec = typeof value === 'string' ? { intent: value } : value;
  if (!isPlainObject(spec)) throw bad(`${at}: an intent or {intent, ...}`);
  for (const key of Object.keys(spec))
    if (!SPEC_FIELDS.includes(key)) throw bad(`${at}: unknown field "${key}"`);
  if (!isIntentClass(spec.intent)) throw bad(`${at}.intent: one of ${INTENT_CLASSES.join(', ')}`);
  const tool = spec.tool ?? name;
  if (typeof tool !== 'string' || tool.length > LIMITS.toolName || !TOOL_NAME.test(tool))
    throw bad(`${at}.tool: a catalog tool name (letters, digits and _ . : / -)`);
  const redact = spec.redact ?? [];
  if (!Array.isArray(redact) || redact.some((t) => typeof t !== 'string' || !REDACTABLE_TYPES.includes(t)))
    throw bad(`${at}.redact: types among ${REDACTABLE_TYPES.join(', ')}`);
  const trust = spec.outputTrust ?? 'untrusted';
  if (!isTrustLevel(trust)) throw bad(`${at}.outputTrust: untrusted, semi_trusted or trusted`);
  const timeoutMs = spec.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || (timeoutMs as number) <= 0)
    throw bad(`${at}.timeoutMs: a positive whole number`);
  const fixed = checkContext({ target: spec.target, justification: spec.justification }, at, bad);
  return {
    intent: spec.intent,
    tool,
    ...(fixed.target !== undefined ? { target: fixed.target } : {}),
    ...(fixed.justification !== undefined ? { justification: fixed.justification } : {}),
    rules: { redact: [...(redact as string[])], trust, timeoutMs: timeoutMs as number },
  };
}

/** A context checked field by field; undefined fields are dropped. */
function checkContext(value: unknown, at: string, bad: Bad): CallContext {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw bad(`${at}: a context object`);
  const out: CallContext = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (!CONTEXT_FIELDS.includes(key)) throw bad(`${at}: unknown context field "${key}"`);
    if (key === 'session') {
      if (typeof v !== 'string' || !SESSION.test(v)) throw bad(`${at}.session: must match ${SESSION.source}`);
      out.session = v;
    } else if (key === 'sources') {
      if (
        !Array.isArray(v) ||
        v.length > LIMITS.sourceSignals ||
        v.some((s) => typeof s !== 'string' || s.length === 0 || s.length > LIMITS.id)
      )
        throw bad(`${at}.sources: at most ${LIMITS.sourceSignals} chunk ids`);
      out.sources = [...(v as string[])];
    } else if (key === 'target') {
      if (typeof v !== 'string' || v.length === 0 || v.length > LIMITS.target)
        throw bad(`${at}.target: a string of 1 to ${LIMITS.target} characters`);
      out.target = v;
    } else if (key === 'justification') {
      if (typeof v !== 'string' || v.length > LIMITS.justification)
        throw bad(`${at}.justification: at most ${LIMITS.justification} characters`);
      out.justification = v;
    } else {
      out.lobstertrap = v;
    }
  }
  return out;
}

/** One tool and everything needed to guard its calls. */
class GuardedTool {
  constructor(
    private readonly name: string,
    private readonly spec: CheckedSpec,
    private readonly gateway: CarapaceGateway,
    private readonly defaults: CallContext,
    private readonly options: GuardOptions,
  ) {}

  plain(fn: (args: unknown) => unknown): (args: unknown, context?: CallContext) => Promise<unknown> {
    const guarded = (args: unknown, context?: CallContext) =>
      this.call(args, context, (decided) => fn(decided));
    Object.defineProperty(guarded, 'name', { value: fn.name || this.name });
    return guarded;
  }

  vercel(tool: VercelTool): VercelTool {
    const execute = tool.execute;
    return {
      ...tool,
      execute: (input: unknown, callOptions?: { experimental_context?: unknown }) =>
        this.call(input, carapaceContext(callOptions?.experimental_context), (decided) =>
          execute.call(tool, decided, callOptions),
        ),
    };
  }

  /**
   * A copy of the tool whose `_call` (the one method every StructuredTool implements, reached after
   * LangChain has parsed the input) is guarded. The original tool is left as it was.
   */
  langchain(tool: LangChainTool): LangChainTool {
    const copy = Object.create(tool) as LangChainTool;
    const original = tool._call;
    copy._call = (
      input: unknown,
      runManager?: unknown,
      config?: { configurable?: Record<string, unknown> },
    ) => {
      // A string tool (DynamicTool) gets a string: it is proposed as {input}.
      const text = typeof input === 'string' || input === undefined;
      return this.call(text ? { input } : input, carapaceContext(config?.configurable), (decided) =>
        original.call(tool, text ? decided.input : decided, runManager, config),
      );
    };
    return copy;
  }

  private async call(
    rawArgs: unknown,
    callContext: unknown,
    run: (args: Record<string, unknown>) => unknown,
  ): Promise<unknown> {
    const invalid: Bad = (detail) =>
      new CarapaceError('E_CALL_INVALID', `invalid call of ${this.name}; it was not run`, detail);
    const args = argsAsJson(rawArgs, invalid);
    const { spec, options } = this;
    const fromHook = options.context
      ? checkContext(
          await options.context({ name: this.name, tool: spec.tool, args: structuredClone(args) }),
          'context()',
          invalid,
        )
      : {};
    const perCall = checkContext(callContext, 'context', invalid);
    const merged: CallContext = { ...this.defaults, ...fromHook, ...perCall };
    const target = merged.target ?? spec.target;
    const justification = merged.justification ?? spec.justification;
    const action: GuardedAction = {
      tool: spec.tool,
      intent: spec.intent,
      args,
      sources: merged.sources ?? [],
      ...(merged.session !== undefined ? { session: merged.session } : {}),
      ...(target !== undefined ? { target } : {}),
      ...(justification !== undefined ? { justification } : {}),
      ...(merged.lobstertrap !== undefined ? { lobstertrap: merged.lobstertrap } : {}),
    };
    const onDecision = options.onDecision;
    return this.gateway.perform(
      action,
      spec.rules,
      run,
      onDecision ? (event) => onDecision({ name: this.name, ...event }) : undefined,
    );
  }
}

/** The arguments as the JSON object they would be on the wire; anything else is refused. */
function argsAsJson(value: unknown, invalid: Bad): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalid('args: a plain object of named arguments');
  let json: unknown;
  try {
    json = JSON.parse(JSON.stringify(value));
  } catch (e) {
    throw invalid(`args: not JSON (${(e as Error).message})`);
  }
  return json as Record<string, unknown>;
}

/** `carapace` inside a framework's per-call bag (AI SDK experimental_context, LangChain configurable). */
function carapaceContext(bag: unknown): unknown {
  return isPlainObject(bag) ? bag.carapace : undefined;
}

interface VercelTool {
  inputSchema: unknown;
  execute: (input: unknown, options?: { experimental_context?: unknown }) => unknown;
  [key: string]: unknown;
}

function isVercelTool(value: unknown): value is VercelTool {
  return isPlainObject(value) && 'inputSchema' in value && typeof value.execute === 'function';
}

interface LangChainTool {
  name: string;
  lc_namespace: string[];
  invoke: (...args: unknown[]) => unknown;
  _call: (
    input: unknown,
    runManager?: unknown,
    config?: { configurable?: Record<string, unknown> },
  ) => unknown;
}

function isLangChainTool(value: unknown): value is LangChainTool {
  const v = value as Partial<LangChainTool> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray(v.lc_namespace) &&
    typeof v._call === 'function' &&
    typeof v.invoke === 'function' &&
    typeof v.name === 'string'
  );
}
