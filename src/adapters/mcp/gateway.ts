// The MCP gateway (DESIGN.md §10, docs/mcp.md): an MCP server in front of the upstream MCP servers of
// a config file. It lists their classified tools whose definitions match their pins; it gates every
// tools/call through the gateway's pipeline (proposeAction, then executeAction, whose executor redeems
// the token before it calls the upstream, and which records each result as a chunk of the agent's
// session with the tool's output trust); and it answers a blocked, pending or failed call with an error
// result carrying the decision.

import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type CallToolRequest,
  CallToolRequestSchema,
  type CallToolResult,
  CallToolResultSchema,
  ErrorCode,
  ListToolsRequestSchema,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { executeAction, proposeAction, tokenForApprovedReview } from '../../gateway/actions.js';
import { auditEvent, type GatewayContext } from '../../gateway/context.js';
import { GatewayError } from '../../gateway/gateway_error.js';
import { checkInstructionSet } from '../../gateway/instruction_sets.js';
import { carapaceVersion } from '../../gateway/openapi.js';
import { REVIEW_ID } from '../../gateway/reviews.js';
import {
  classifyAction,
  type Engine,
  INTENT_CLASSES,
  type IntentClass,
  isPlainObject,
  LIMITS,
  toCanonicalJson,
} from '../../engine/index.js';
import type { Executor, TokenGate } from '../../executors/executor.js';
import type { JsonValue, Principal, Review } from '../../store/store.js';
import { StoreError } from '../../store/store_error.js';
import { loadMcpConfig, type McpConfig } from './config.js';
import { pinnedDefinition, type PinnedDefinition, ToolPinStore } from './tool_pins.js';
import { mcpEngine, type ToolRoute, toolRoutes } from './tool_routes.js';
import { Upstream, UpstreamError } from './upstream.js';
import { createMcpUpstreamExecutor } from './upstream_executor.js';

/** The `_meta` keys of a tools/call the gateway reads, and of the results it writes. */
export const META = {
  intent: 'carapace.dev/intent',
  justification: 'carapace.dev/justification',
  sourceSignals: 'carapace.dev/source_signals',
  review: 'carapace.dev/review',
  decision: 'carapace.dev/decision',
  chunk: 'carapace.dev/chunk',
  error: 'carapace.dev/error',
} as const;

const MAX_PENDING_PER_SESSION = 100;

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** What the agent is told about the gateway's decision on its call (never a token). */
interface DecisionMeta {
  decision: string;
  rule: string | null;
  explanation: string;
  audit: { seq: number; hash: string } | null;
  review?: { id: string; status: string; expires_at?: string; decided_by?: string; note?: string };
  [key: string]: unknown;
}

export interface OpenMcpGatewayOptions {
  configFile: string;
  /** The gateway's data directory: the pins live in <data>/mcp/tool-pins.json. */
  dataDir: string;
  /** The catalog the MCP tools join (default the demo data hall's). */
  baseCatalog?: unknown;
  env?: NodeJS.ProcessEnv;
}

export class McpGateway {
  readonly engine: Engine;
  /** The catalog source the engine compiled: what `carapace replay --catalog` needs. */
  readonly catalogSource: unknown;
  readonly routes: ReadonlyMap<string, ToolRoute>;
  readonly upstreams: ReadonlyMap<string, Upstream>;
  /** Upstream server → upstream tool name → route. */
  private readonly byUpstream = new Map<string, Map<string, ToolRoute>>();
  /** Exposed name → the hash of its upstream definition, when that was last seen equal to its pin. */
  private readonly usableHash = new Map<string, string>();
  private readonly servers = new Set<Server>();
  /** Where unexpected failures are reported (the gateway's logger once mounted); never to the agent. */
  log: (error: unknown, message: string) => void = () => {};

  private constructor(
    readonly config: McpConfig,
    readonly pins: ToolPinStore,
    options: OpenMcpGatewayOptions,
  ) {
    const { engine, catalogSource } = mcpEngine(config, options.baseCatalog);
    this.engine = engine;
    this.catalogSource = catalogSource;
    this.routes = toolRoutes(config);
    for (const route of this.routes.values()) {
      const tools = this.byUpstream.get(route.server) ?? new Map<string, ToolRoute>();
      tools.set(route.upstream, route);
      this.byUpstream.set(route.server, tools);
    }
    const version = carapaceVersion();
    this.upstreams = new Map(
      config.servers.map((spec) => [spec.name, new Upstream(spec, () => this.toolsChanged(), version)]),
    );
  }

  /** Reads the config and the pins; connects to no upstream until one is needed. */
  static open(options: OpenMcpGatewayOptions): McpGateway {
    const config = loadMcpConfig(options.configFile, options.env);
    const pins = ToolPinStore.open(ToolPinStore.pinsFile(options.dataDir));
    return new McpGateway(config, pins, options);
  }

  /** The executor to register with startGateway({executors}). */
  executor(gate: TokenGate, now: () => number = Date.now): Executor {
    return createMcpUpstreamExecutor(
      {
        routes: this.routes,
        upstreams: this.upstreams,
        usable: (route) => this.usableHash.has(route.exposed),
        maxResultChars: this.config.max_result_chars,
        now,
      },
      gate,
    );
  }

  /**
   * An MCP server for one agent and one session (a Streamable HTTP session, or a stdio process). The
   * session is the gateway's: every result joins it, and its taint judges every later call.
   */
  createServer(ctx: GatewayContext, agent: Principal, session: string): Server {
    const server = new Server(
      { name: 'carapace-mcp-gateway', version: carapaceVersion() },
      {
        capabilities: { tools: { listChanged: true } },
        instructions:
          'Every tool call passes the Carapace gateway. A call it blocks, or that waits for a human, ' +
          'returns isError with the decision in the text and in _meta["carapace.dev/decision"].',
      },
    );
    // Reviews this session is waiting on, by call (tool and canonical arguments): calling the same
    // tool with the same arguments again picks up the human's decision.
    const pending = new Map<string, { id: string; decision: DecisionMeta }>();
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await this.listTools(ctx) }));
    server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
      this.callTool(ctx, agent, session, request.params, extra, pending),
    );
    this.servers.add(server);
    server.onclose = () => this.servers.delete(server);
    return server;
  }

  /** The tools the agent may see: classified, offered by their upstream now, and equal to their pin. */
  async listTools(ctx: GatewayContext): Promise<Tool[]> {
    const lists = await Promise.all(
      [...this.upstreams.values()].map(async (upstream) => {
        const routes = this.byUpstream.get(upstream.name);
        if (!routes) return [];
        let tools: Tool[];
        try {
          tools = await upstream.listTools(this.config.relist_ms);
        } catch {
          return []; // an upstream that cannot list offers nothing
        }
        const shown: Tool[] = [];
        const twice = listedTwice(tools);
        for (const tool of tools) {
          const route = routes.get(tool.name);
          if (!route || twice.has(tool.name)) continue; // not classified, or ambiguous: never offered
          const check = await this.observe(ctx, route, tool);
          if (check.ok) shown.push({ ...check.definition, name: route.exposed } as Tool);
        }
        return shown;
      }),
    );
    return lists.flat().sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Compares an upstream tool with its pin (pinning it at first sight) and records whether it is usable. */
  private async observe(
    ctx: GatewayContext,
    route: ToolRoute,
    tool: Tool,
  ): Promise<{ ok: true; definition: PinnedDefinition } | { ok: false; code: string; reason: string }> {
    const seen = pinnedDefinition(tool as unknown as Record<string, unknown>);
    if (!seen.ok) {
      this.usableHash.delete(route.exposed);
      return { ok: false, code: 'E_MCP_TOOL_REFUSED', reason: seen.reason };
    }
    const status = await this.pins.observe(
      route.server,
      route.upstream,
      seen,
      new Date(ctx.now()).toISOString(),
      this.config.first_sight,
      (event, pin) =>
        auditEvent(ctx, `mcp.tool_${event}`, {
          server: route.server,
          tool: route.upstream,
          exposed: route.exposed,
          hash: seen.hash,
          accepted_hash: event === 'pinned' ? seen.hash : pin.hash,
        }),
    );
    if (status.state === 'accepted') {
      this.usableHash.set(route.exposed, seen.hash);
      return { ok: true, definition: seen.definition };
    }
    this.usableHash.delete(route.exposed);
    return {
      ok: false,
      code: status.state === 'held' ? 'E_MCP_TOOL_HELD' : 'E_MCP_TOOL_CHANGED',
      reason:
        status.state === 'held'
          ? `${route.exposed} is new on ${route.server} and waits for an admin to accept it (${seen.hash})`
          : `the definition of ${route.exposed} on ${route.server} changed from its pin ${status.pin.hash} to ${seen.hash}; it is refused until an admin accepts the change`,
    };
  }

  /** The current upstream definition of a routed tool, checked against its pin. */
  private async checkTool(
    ctx: GatewayContext,
    route: ToolRoute,
  ): Promise<{ ok: true } | { ok: false; code: string; reason: string }> {
    const upstream = this.upstreams.get(route.server);
    if (!upstream) return { ok: false, code: 'E_MCP_UNKNOWN_TOOL', reason: `no server ${route.server}` };
    let tools: Tool[];
    try {
      tools = await upstream.listTools(this.config.relist_ms);
    } catch (e) {
      this.usableHash.delete(route.exposed);
      return {
        ok: false,
        code: (e as UpstreamError).code ?? 'E_MCP_UPSTREAM_FAILED',
        reason: (e as Error).message,
      };
    }
    if (listedTwice(tools).has(route.upstream)) {
      this.usableHash.delete(route.exposed);
      return {
        ok: false,
        code: 'E_MCP_TOOL_REFUSED',
        reason: `${route.server} lists ${route.upstream} more than once; which definition it runs is unknown`,
      };
    }
    const tool = tools.find((t) => t.name === route.upstream);
    if (!tool) {
      this.usableHash.delete(route.exposed);
      return {
        ok: false,
        code: 'E_MCP_TOOL_UNAVAILABLE',
        reason: `${route.server} does not offer ${route.upstream} now`,
      };
    }
    const check = await this.observe(ctx, route, tool);
    return check.ok ? { ok: true } : check;
  }

  private async callTool(
    ctx: GatewayContext,
    agent: Principal,
    session: string,
    params: CallToolRequest['params'],
    extra: Extra,
    pending: Map<string, { id: string; decision: DecisionMeta }>,
  ): Promise<CallToolResult> {
    try {
      // The agent as it stands now: a key disabled since the session began acts no more.
      const current = await ctx.store.getPrincipal(agent.id);
      if (!current || current.disabled || current.role !== 'agent')
        throw new McpCallError(ErrorCode.InvalidRequest, 'the agent is disabled', {
          code: 'E_UNAUTHENTICATED',
        });
      const meta = callMeta(params._meta);
      const args = params.arguments ?? {};
      const name = params.name;
      const route = this.routes.get(name);
      if (!route) {
        await auditEvent(ctx, 'mcp.call_refused', {
          agent: current.id,
          session,
          tool: name.slice(0, LIMITS.toolName),
          code: 'E_MCP_UNKNOWN_TOOL',
        });
        throw new McpCallError(ErrorCode.InvalidParams, `Unknown tool: ${name.slice(0, LIMITS.toolName)}`, {
          code: 'E_MCP_UNKNOWN_TOOL',
          detail: 'no configured and classified MCP tool has this name',
        });
      }
      const check = await this.checkTool(ctx, route);
      if (!check.ok) {
        const entry = await auditEvent(ctx, 'mcp.call_refused', {
          agent: current.id,
          session,
          tool: name,
          code: check.code,
          reason: check.reason,
        });
        return errorResult(`Carapace refused ${name}: ${check.reason}. Nothing was run.`, {
          [META.error]: {
            code: check.code,
            detail: check.reason,
            audit: { seq: entry.seq, hash: entry.hash },
          },
        });
      }

      // The tool list this agent is offered must be an approved instruction set for it (when it is bound).
      const integrity = await checkInstructionSet(
        ctx,
        current,
        async () => ({
          surface: 'mcp',
          system: [],
          tools: (await this.listTools(ctx)) as unknown as JsonValue[],
        }),
        { session, tool: name },
      );
      if (!integrity.ok)
        return errorResult(`Carapace refused ${name}: ${integrity.verdict.explanation} Nothing was run.`, {
          [META.error]: {
            code: 'E_INSTRUCTION_INTEGRITY',
            rule: integrity.verdict.rule,
            detail: integrity.verdict.explanation,
            set_hash: integrity.hashes.set_hash,
            tools_hash: integrity.hashes.tools_hash,
            audit: integrity.audit,
          },
        });

      const argsJson = toCanonicalJson(args, LIMITS.jsonDepth, LIMITS.argsChars);
      if (!argsJson.ok)
        throw new McpCallError(ErrorCode.InvalidParams, `invalid arguments: ${argsJson.reason}`, {
          code: 'E_ENVELOPE_INVALID',
          detail: `args${argsJson.path}: ${argsJson.reason}`,
        });
      const key = `${name}\n${argsJson.json}`;
      const waiting = meta.review ? { id: meta.review, decision: null } : (pending.get(key) ?? null);
      if (waiting) {
        const resumed = await this.resumeReview(
          ctx,
          current,
          route,
          args,
          waiting,
          meta.review !== undefined,
          extra,
        );
        if (resumed.done) pending.delete(key);
        if (resumed.result) return resumed.result;
        // A review that is gone or is not of this call: the call is decided anew.
      }

      // MCP carries no declared intent: unless the client sends one in _meta, the call declares what
      // the catalog detects for these arguments (so R1 fires only on what a client declares itself).
      const detected = classifyAction(ctx.engine.catalog, name, args);
      const intent: IntentClass = meta.intent ?? (detected.ok ? detected.intent : route.intent);
      const envelope = {
        intent,
        tool: name,
        args,
        session,
        source_signals: meta.sourceSignals ?? [],
        ...(meta.justification !== undefined ? { justification: meta.justification } : {}),
      };
      const proposed = await proposeAction(ctx, current, { envelope });
      const decision = decisionMeta(proposed.fields);
      if (decision.decision === 'ALLOW')
        return await this.execute(
          ctx,
          current,
          session,
          route,
          proposed.fields.token as string,
          proposed.decided.args,
          decision,
        );
      if (decision.decision === 'HUMAN_REVIEW' && decision.review) {
        if (pending.size >= MAX_PENDING_PER_SESSION) pending.delete(pending.keys().next().value as string);
        pending.set(key, { id: decision.review.id, decision });
        const resumed = await this.resumeReview(
          ctx,
          current,
          route,
          args,
          { id: decision.review.id, decision },
          false,
          extra,
        );
        if (resumed.done) pending.delete(key);
        if (resumed.result) return resumed.result;
      }
      return blockedResult(name, decision);
    } catch (e) {
      const mapped = asMcpError(e);
      if (mapped.code === ErrorCode.InternalError) this.log(e, 'MCP tools/call failed');
      throw mapped;
    }
  }

  /**
   * Waits (up to review.wait_ms) for the human decision on a review of this call, and runs the call
   * once it is approved. `done` is true when the review reached its end (run, rejected, expired).
   * A review that is not this agent's, or not this call's, yields no result (the caller decides anew),
   * or an error when the client named it explicitly.
   */
  private async resumeReview(
    ctx: GatewayContext,
    agent: Principal,
    route: ToolRoute,
    args: Record<string, unknown>,
    waiting: { id: string; decision: DecisionMeta | null },
    explicit: boolean,
    extra: Extra,
  ): Promise<{ done: boolean; result: CallToolResult | null }> {
    const found = REVIEW_ID.test(waiting.id) ? await ctx.store.getReview(waiting.id) : null;
    const envelope = found?.envelope as { tool?: unknown; args?: unknown } | undefined;
    const sameCall =
      found !== null &&
      found.agent_id === agent.id &&
      envelope?.tool === route.exposed &&
      (waiting.decision !== null || sameJson(envelope.args, args));
    if (!found || !sameCall) {
      if (explicit)
        throw new McpCallError(
          ErrorCode.InvalidParams,
          `review ${waiting.id.slice(0, 64)} is not a review of this call`,
          {
            code: 'E_MCP_REVIEW_MISMATCH',
          },
        );
      return { done: true, result: null };
    }
    const review = await this.waitForReview(ctx, found, extra);
    const decision: DecisionMeta = {
      ...(waiting.decision ?? {
        decision: 'HUMAN_REVIEW',
        rule: null,
        explanation: 'The call needed a human review.',
        audit: null,
      }),
      review: reviewMeta(review),
    };
    if (review.status === 'approved') {
      // A token whose id is the review's: the approved action runs at most once, however often asked.
      const approved = await tokenForApprovedReview(ctx, review);
      const result = await this.execute(
        ctx,
        agent,
        approved.session,
        route,
        approved.token,
        approved.args,
        decision,
      );
      return { done: true, result };
    }
    if (review.status === 'pending') return { done: false, result: pendingResult(route.exposed, decision) };
    return { done: true, result: blockedResult(route.exposed, decision) };
  }

  /** Polls the review until a human decides it, it expires, the wait ends or the client cancels. */
  private async waitForReview(ctx: GatewayContext, review: Review, extra: Extra): Promise<Review> {
    const { wait_ms: waitMs, poll_ms: pollMs } = this.config.review;
    const started = Date.now();
    const progressToken = extra._meta?.progressToken;
    let current = review;
    for (;;) {
      if (current.status === 'pending' && Date.parse(current.expires_at) <= ctx.now())
        return { ...current, status: 'expired' };
      if (current.status !== 'pending') return current;
      const left = started + waitMs - Date.now();
      if (left <= 0 || extra.signal.aborted) return current;
      if (progressToken !== undefined)
        await extra
          .sendNotification({
            method: 'notifications/progress',
            params: {
              progressToken,
              progress: Date.now() - started,
              total: waitMs,
              message: `waiting for a human to decide review ${current.id}`,
            },
          })
          .catch(() => {});
      await sleep(Math.min(pollMs, left), extra.signal);
      current = (await ctx.store.getReview(current.id)) ?? { ...current, status: 'expired' };
    }
  }

  /**
   * Runs an allowed call through executeAction, which records its result as a chunk of the session
   * through the tool-output channel of the tool's output trust.
   */
  private async execute(
    ctx: GatewayContext,
    agent: Principal,
    session: string | null,
    route: ToolRoute,
    token: string,
    args: Record<string, unknown>,
    decision: DecisionMeta,
  ): Promise<CallToolResult> {
    let executed: Awaited<ReturnType<typeof executeAction>>;
    try {
      executed = await executeAction(
        ctx,
        agent,
        { token, tool: route.exposed, args },
        { session, trust: route.output_trust },
      );
    } catch (e) {
      if (!(e instanceof GatewayError) || e.status === 503) throw e;
      // Refused at the gate (403), refused by the executor before it (422), or failed after it (502):
      // the call did not succeed, and the agent is told so with the decision that allowed it.
      const ran = e.status === 502;
      return errorResult(
        `Carapace allowed ${route.exposed} (${decision.rule ?? decision.decision}) but ${
          ran ? 'it failed; its effect is unknown' : 'it was not run'
        }: ${e.code}: ${e.detail}`,
        { [META.decision]: decision, [META.error]: { code: e.code, detail: e.detail, ran } },
      );
    }
    const chunk = executed.chunk;
    if (executed.withheld || chunk === null) {
      const code = executed.withheld?.code ?? 'E_OUTPUT_WITHHELD';
      return errorResult(
        `Carapace ran ${route.exposed} but withheld its output: ${code}: ${executed.withheld?.reason ?? 'no output'}.`,
        { [META.decision]: decision, [META.error]: { code, withheld: executed.withheld ?? null } },
      );
    }
    const details = (executed.result as { details?: { result?: unknown } }).details;
    const parsed = CallToolResultSchema.safeParse(details?.result);
    if (!parsed.success) throw new Error('the executor returned no tool result');
    const result = parsed.data;
    return {
      content: result.content,
      ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
      ...(result.isError === true ? { isError: true } : {}),
      _meta: {
        [META.decision]: { ...decision, execution: executed.audit },
        [META.chunk]: { id: chunk.id, trust: chunk.trust, injection_suspected: chunk.injection_suspected },
      },
    };
  }

  private toolsChanged(): void {
    for (const server of this.servers) server.sendToolListChanged().catch(() => {});
  }

  /** Closes the agent-facing servers and the upstream connections (stdio children exit). */
  async close(): Promise<void> {
    await Promise.all([...this.servers].map((s) => s.close().catch(() => {})));
    await Promise.all([...this.upstreams.values()].map((u) => u.close()));
  }
}

/** Equal as canonical JSON (false for anything that is not JSON). */
function sameJson(a: unknown, b: unknown): boolean {
  const x = toCanonicalJson(a, LIMITS.jsonDepth);
  const y = toCanonicalJson(b, LIMITS.jsonDepth);
  return x.ok && y.ok && x.json === y.json;
}

/** Names an upstream lists more than once (which of the definitions it would run is unknown). */
function listedTwice(tools: readonly Tool[]): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const t of tools) (seen.has(t.name) ? twice : seen).add(t.name);
  return twice;
}

/** The `_meta` a client may send with a call; anything malformed is an invalid-params error. */
function callMeta(meta: unknown): {
  intent?: IntentClass;
  justification?: string;
  sourceSignals?: string[];
  review?: string;
} {
  if (meta === undefined || !isPlainObject(meta)) return {};
  const bad = (detail: string) =>
    new McpCallError(ErrorCode.InvalidParams, `invalid _meta: ${detail}`, { code: 'E_MCP_META_INVALID' });
  const out: ReturnType<typeof callMeta> = {};
  const intent = meta[META.intent];
  if (intent !== undefined) {
    if (!(INTENT_CLASSES as readonly unknown[]).includes(intent))
      throw bad(`${META.intent} must be one of ${INTENT_CLASSES.join(', ')}`);
    out.intent = intent as IntentClass;
  }
  const justification = meta[META.justification];
  if (justification !== undefined) {
    if (typeof justification !== 'string' || justification.length > LIMITS.justification)
      throw bad(`${META.justification} must be a string of at most ${LIMITS.justification} characters`);
    out.justification = justification;
  }
  const signals = meta[META.sourceSignals];
  if (signals !== undefined) {
    if (
      !Array.isArray(signals) ||
      signals.length > LIMITS.sourceSignals ||
      !signals.every((s) => typeof s === 'string' && s.length > 0 && s.length <= LIMITS.id)
    )
      throw bad(`${META.sourceSignals} must be an array of at most ${LIMITS.sourceSignals} chunk ids`);
    out.sourceSignals = signals as string[];
  }
  const review = meta[META.review];
  if (review !== undefined) {
    if (typeof review !== 'string' || !REVIEW_ID.test(review))
      throw bad(`${META.review} must be a review id (rev_...)`);
    out.review = review;
  }
  return out;
}

/** The decision as the agent may see it: proposeAction's answer without the token. */
function decisionMeta(fields: Record<string, unknown>): DecisionMeta {
  const { token: _token, token_expires_at: _expires, ...rest } = fields;
  return rest as DecisionMeta;
}

function reviewMeta(review: Review): NonNullable<DecisionMeta['review']> {
  return {
    id: review.id,
    status: review.status,
    expires_at: review.expires_at,
    ...(review.decided_by !== undefined ? { decided_by: review.decided_by } : {}),
    ...(review.note !== undefined && review.note !== '' ? { note: review.note } : {}),
  };
}

function errorResult(text: string, meta: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true, _meta: meta };
}

function blockedResult(tool: string, d: DecisionMeta): CallToolResult {
  const review = d.review;
  const why =
    review?.status === 'rejected'
      ? ` Review ${review.id} was rejected${review.decided_by ? ` by ${review.decided_by}` : ''}${review.note ? `: ${review.note}` : ''}.`
      : review?.status === 'expired'
        ? ` Review ${review.id} expired without a decision.`
        : '';
  return errorResult(
    `Carapace blocked ${tool}: ${d.decision}${d.rule ? ` (${d.rule})` : ''}. ${d.explanation}${why} Nothing was run.${
      d.audit ? ` Audit entry ${d.audit.seq}.` : ''
    }`,
    { [META.decision]: d },
  );
}

function pendingResult(tool: string, d: DecisionMeta): CallToolResult {
  const id = d.review?.id ?? '';
  return errorResult(
    `Carapace is holding ${tool} for human review: ${d.decision}${d.rule ? ` (${d.rule})` : ''}. ${d.explanation} ` +
      `Review ${id} is pending${d.review?.expires_at ? ` until ${d.review.expires_at}` : ''}. Nothing was run yet. ` +
      `Call ${tool} again with the same arguments to run it once approved (or send _meta {"${META.review}": "${id}"}).`,
    { [META.decision]: d },
  );
}

/**
 * A JSON-RPC error of a tools/call: the SDK answers with its `code`, `message` and `data` as they are
 * (its own McpError would put "MCP error <code>:" in front of the message, and the client again).
 */
class McpCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: { code: string; detail?: string },
  ) {
    super(message);
    this.name = 'McpCallError';
  }
}

/** Every failure leaves as an MCP error: never a success, and never an internal message. */
function asMcpError(e: unknown): McpCallError {
  if (e instanceof McpCallError) return e;
  if (e instanceof GatewayError) {
    const invalid = e.status >= 400 && e.status < 500;
    return new McpCallError(
      invalid ? ErrorCode.InvalidParams : ErrorCode.InternalError,
      `${e.error}: ${e.detail}`,
      {
        code: e.code,
        detail: e.detail,
      },
    );
  }
  if (e instanceof StoreError)
    return new McpCallError(ErrorCode.InternalError, 'the gateway store refused the request', {
      code: e.code,
    });
  if (e instanceof UpstreamError)
    return new McpCallError(ErrorCode.InternalError, e.message, { code: e.code });
  return new McpCallError(ErrorCode.InternalError, 'internal error: the call was not carried out', {
    code: 'E_INTERNAL',
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
