// The embedded gateway: the gateway's own pipeline run in this process on a data directory, with no
// HTTP in between. A call is decided by the same stages (engine, inspect, policy with its counters),
// its decision is durable in the audit log, an execution token is minted and redeemed once through the
// gateway's token gate (which records the execution) and only then is the function called; its output
// is withheld or redacted, registered as a chunk of the session, and recorded.

import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { openDataDirLog } from '../audit/log_files.js';
import { generateSigningKey } from '../crypto/ed25519_key.js';
import {
  type CompiledCatalog,
  canonicalJson,
  compileCatalog,
  DEFAULT_RULESET,
  DEMO_CATALOG,
  type Engine,
  isTrustLevel,
  toCanonicalJson,
  TRUST_TIERS,
  type TrustLevel,
  type TrustTier,
} from '../engine/index.js';
import type { Executor } from '../executors/executor.js';
import { ExecutorRegistry } from '../executors/registry.js';
import { proposeAction } from '../gateway/actions.js';
import { generateApiKey, hashApiKey } from '../gateway/auth.js';
import { registerChunk, TOOL_OUTPUT_CHANNEL } from '../gateway/chunks.js';
import { auditEvent, type GatewayContext } from '../gateway/context.js';
import { type DataDirLock, lockDataDir } from '../gateway/data_dir_lock.js';
import { GatewayError } from '../gateway/gateway_error.js';
import { Metrics } from '../gateway/metrics.js';
import { PolicyRuntime } from '../gateway/policy_stage.js';
import { NAME, SESSION } from '../gateway/schemas.js';
import { gatewayTokenGate } from '../gateway/token_gate.js';
import { findingTypes } from '../inspect/findings.js';
import { evaluatePolicyOutput, findingsNeeded } from '../policy/index.js';
import { openSqliteStore } from '../store/sqlite_store.js';
import type { Principal } from '../store/store.js';
import { TokenError } from '../tokens/index.js';
import type { CarapaceGateway, GuardedAction, IngestedChunk, OutputRules } from './action.js';
import { CarapaceDeniedError, CarapaceError, CarapaceReviewPendingError } from './errors.js';
import { describeFailure, outputAsJson, redactToolOutput, runToolFunction } from './tool_output.js';

export interface EmbeddedGatewayOptions {
  /** Where the store (carapace.db), the audit log (audit/) and its key (keys/) live; locked while open. */
  dataDir: string;
  /**
   * The tool catalog: a compiled catalog, a catalog source object, or the path of a YAML or JSON file.
   * Default: the demo data hall's. A tool the catalog does not know is denied (R9).
   */
  catalog?: CompiledCatalog | Record<string, unknown> | string;
  /** The whole engine (ruleset and catalog), instead of `catalog`. */
  engine?: Engine;
  /** A policy file (YAML, JSON or English) enforced on every call, reloaded when it changes. */
  policy?: string;
  /** Watch the policy file for changes (default true). */
  watchPolicy?: boolean;
  /** The agent this process acts as: a principal of the data directory, created if needed. */
  agent?: { name?: string; tier?: TrustTier };
  /**
   * Ingestion channels and their trust (e.g. `{ 'operator-console': 'trusted', syslog: 'semi_trusted' }`),
   * created if needed. A channel's trust never changes: one that exists with another trust is refused.
   */
  channels?: Record<string, TrustLevel>;
  /** Epoch milliseconds; for tests. */
  now?: () => number;
  /** How long a HUMAN_REVIEW waits before it expires (default 15 min). */
  reviewTtlMs?: number;
}

/** The key that signs execution tokens in this process only: tokens never leave it, so nothing stores it. */
const TOKEN_KEY_NAME = 'carapace.local/sdk-exec';
const SDK = 'carapace sdk';
/** A recorded output above this size is recorded by its hash and length, not in full. */
const RECORDED_OUTPUT_CHARS = 64 * 1024;

/**
 * Opens the embedded gateway on `options.dataDir`. Refuses (CarapaceError) a data directory another
 * gateway holds, a catalog or policy that does not compile, a channel whose trust differs from the one
 * recorded, and a disabled agent.
 */
export async function openEmbeddedGateway(options: EmbeddedGatewayOptions): Promise<CarapaceGateway> {
  checkOptions(options);
  const engine = options.engine ?? { ruleset: DEFAULT_RULESET, catalog: loadCatalog(options.catalog) };
  const now = options.now ?? Date.now;
  let lock: DataDirLock;
  try {
    lock = lockDataDir(options.dataDir);
  } catch (e) {
    if (e instanceof GatewayError) throw new CarapaceError('E_OPTIONS_INVALID', e.error, e.detail);
    throw e;
  }
  const opened: { close(): Promise<void> }[] = [];
  const undo = async () => {
    for (const o of opened.reverse()) await o.close().catch(() => {});
    lock.release();
  };
  try {
    const store = await openSqliteStore(join(options.dataDir, 'carapace.db'));
    opened.push(store);
    const { log } = await openDataDirLog(options.dataDir);
    opened.push(log);
    const policy = options.policy ? new PolicyRuntime({ file: options.policy }, log, now) : null;
    if (policy) {
      opened.push(policy);
      const first = await policy.reload();
      if (first.outcome === 'refused') {
        const e = first.errors[0];
        throw new CarapaceError(
          'E_OPTIONS_INVALID',
          'the policy does not compile',
          `${options.policy}: ${e?.detail ?? 'does not compile'}${e?.line !== undefined ? ` (line ${e.line})` : ''}`,
        );
      }
      if (options.watchPolicy !== false) policy.watch();
    }
    let gate: GatewayContext['gate'] = () => Promise.reject(new Error('the token gate is not ready'));
    const ctx: GatewayContext = {
      store,
      audit: log,
      engine,
      tokenKey: generateSigningKey(TOKEN_KEY_NAME),
      now,
      reviewTtlMs: options.reviewTtlMs ?? 15 * 60 * 1000,
      tokenTtlMs: 5000,
      metrics: new Metrics(),
      // Nothing is run through the registry: the SDK calls its function itself, after the gate.
      executors: new ExecutorRegistry(noExecutor),
      gate: (token, call) => gate(token, call),
      policy,
    };
    gate = gatewayTokenGate(ctx);
    await ensureChannel(ctx, TOOL_OUTPUT_CHANNEL.name, TOOL_OUTPUT_CHANNEL.trust);
    for (const [name, trust] of Object.entries(options.channels ?? {})) await ensureChannel(ctx, name, trust);
    const agent = await ensureAgent(ctx, options.agent?.name ?? 'sdk-agent', options.agent?.tier ?? 'T0');
    return new EmbeddedGateway(ctx, agent, new Set(Object.keys(options.channels ?? {})), undo);
  } catch (e) {
    await undo();
    if (e instanceof GatewayError) throw new CarapaceError('E_OPTIONS_INVALID', e.error, e.detail);
    throw e;
  }
}

class EmbeddedGateway implements CarapaceGateway {
  readonly mode = 'embedded' as const;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly ctx: GatewayContext,
    private readonly agent: Principal,
    private readonly channels: ReadonlySet<string>,
    private readonly release: () => Promise<void>,
  ) {}

  perform(
    action: GuardedAction,
    rules: OutputRules,
    run: (args: Record<string, unknown>) => unknown,
    onDecision?: Parameters<CarapaceGateway['perform']>[3],
  ): Promise<unknown> {
    return this.track(() => this.performOpen(action, rules, run, onDecision));
  }

  ingest(content: string, options: { session?: string; channel?: string } = {}): Promise<IngestedChunk> {
    return this.track(() => this.ingestOpen(content, options));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    await this.release();
  }

  private track<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed)
      return Promise.reject(new CarapaceError('E_GATEWAY_CLOSED', 'the embedded gateway is closed'));
    const p = work();
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  private async performOpen(
    action: GuardedAction,
    rules: OutputRules,
    run: (args: Record<string, unknown>) => unknown,
    onDecision?: Parameters<CarapaceGateway['perform']>[3],
  ): Promise<unknown> {
    const { ctx, agent } = this;
    const envelope = {
      intent: action.intent,
      tool: action.tool,
      args: action.args,
      source_signals: action.sources,
      ...(action.session !== undefined ? { session: action.session } : {}),
      ...(action.target !== undefined ? { target: action.target } : {}),
      ...(action.justification !== undefined ? { justification: action.justification } : {}),
    };
    const proposed = await gatewayStep(() =>
      proposeAction(ctx, agent, {
        envelope,
        ...(action.lobstertrap !== undefined ? { _lobstertrap: action.lobstertrap } : {}),
      }),
    );
    const { fields, decided } = proposed;
    const { final, record } = decided;
    const audit = fields.audit as { seq: number; hash: string };
    const review = fields.review as { id: string; expires_at: string } | undefined;
    onDecision?.({
      tool: action.tool,
      decision: final.decision,
      rule: final.rule,
      explanation: final.explanation,
      audit,
      ...(review ? { review: { id: review.id, expires_at: review.expires_at } } : {}),
    });
    if (final.decision === 'DENY' || final.decision === 'QUARANTINE')
      throw new CarapaceDeniedError({
        tool: action.tool,
        decision: final.decision,
        rule: final.rule,
        explanation: final.explanation,
        record,
        audit,
      });
    if (final.decision === 'HUMAN_REVIEW') {
      if (!review) throw new Error('a HUMAN_REVIEW without a review');
      throw new CarapaceReviewPendingError({
        tool: action.tool,
        reviewId: review.id,
        expiresAt: review.expires_at,
        rule: final.rule,
        explanation: final.explanation,
        record,
        audit,
      });
    }

    // ALLOW: the token binds the canonical tool and the arguments the function may run with; the gate
    // verifies it for exactly those, spends it once, and records the execution durably before we act.
    const tool = record.tool as string;
    const args = decided.args;
    const claims = await gatewayStep(() =>
      ctx.gate(fields.token as string, { agentId: agent.id, tool, args }),
    );
    const ran = await runToolFunction(() => run(structuredClone(args)), rules.timeoutMs);
    if (!ran.ok) {
      const failure = ran.timedOut
        ? { code: 'E_TOOL_TIMEOUT', reason: `the tool did not finish within ${rules.timeoutMs} ms` }
        : describeFailure(ran.error);
      await gatewayStep(
        () =>
          auditEvent(ctx, 'execution.failed', {
            agent: agent.id,
            jti: claims.jti,
            tool,
            executor: 'sdk',
            code: failure.code,
            reason: failure.reason,
          }),
        true,
      );
      if (ran.timedOut)
        throw new CarapaceError(
          'E_TOOL_TIMEOUT',
          `${action.tool} did not finish within ${rules.timeoutMs} ms; its effect is unknown`,
          'the call is recorded as failed; it may still be running',
          true,
        );
      throw ran.error;
    }

    let output;
    try {
      output = outputAsJson(ran.output);
    } catch (e) {
      const failure = describeFailure(e);
      await gatewayStep(
        () =>
          auditEvent(ctx, 'execution.withheld', {
            agent: agent.id,
            jti: claims.jti,
            tool,
            executor: 'sdk',
            reason: `${failure.code}: ${failure.reason}`,
          }),
        true,
      );
      throw e;
    }

    // The policy's output rules first (schema, size, denied types withhold the output); then the
    // default redaction, the policy's and the tool's own.
    let policyRedact: string[] = [];
    const policy = ctx.policy?.current ?? null;
    if (policy) {
      let findings: { types: string[] } | undefined;
      if (findingsNeeded(policy, tool).output) {
        try {
          findings = { types: findingTypes(output) };
        } catch {
          findings = undefined; // unscannable: a rule that denies types withholds the output
        }
      }
      const verdict = evaluatePolicyOutput(policy, { tool, output, ...(findings ? { findings } : {}) });
      if (verdict.decision === 'DENY') {
        const text = canonicalJson(output);
        const done = await gatewayStep(
          () =>
            auditEvent(ctx, 'execution.withheld', {
              agent: agent.id,
              jti: claims.jti,
              tool,
              executor: 'sdk',
              policy_hash: verdict.policy_hash,
              fired: verdict.fired,
              output_hash: `sha256:${createHash('sha256').update(text).digest('hex')}`,
              output_bytes: Buffer.byteLength(text),
            }),
          true,
        );
        const why = verdict.fired.map((f) => `${f.rule}: ${f.reason}`).join('; ');
        throw new CarapaceError(
          'E_OUTPUT_WITHHELD',
          `${action.tool} ran, but the policy withholds its output (audit seq ${done.seq})`,
          why,
          true,
        );
      }
      policyRedact = verdict.redact;
    }
    const redacted = redactToolOutput(output, [...policyRedact, ...rules.redact]);
    const result = redacted.value;

    // The output is content the agent will read: a chunk with the tool's output trust, in the session.
    const text = canonicalJson(result);
    const registered = await gatewayStep(async () => {
      const channel = await outputChannel(ctx, rules.trust);
      const chunk = (await registerChunk(ctx, channel, text)).chunk;
      if (action.session !== undefined)
        await ctx.store.addSessionChunks(action.session, agent.id, [chunk.id]);
      return chunk;
    }, true);
    const recorded =
      text.length <= RECORDED_OUTPUT_CHARS
        ? { result }
        : {
            result_hash: `sha256:${createHash('sha256').update(text).digest('hex')}`,
            result_bytes: Buffer.byteLength(text),
          };
    await gatewayStep(
      () =>
        auditEvent(ctx, 'execution.result', {
          agent: agent.id,
          jti: claims.jti,
          tool,
          executor: 'sdk',
          ...recorded,
          redacted: { secrets: redacted.secrets, pii: redacted.pii },
          output_chunk: registered.id,
          injection_suspected: registered.injection_suspected,
        }),
      true,
    );
    return result;
  }

  private async ingestOpen(
    content: string,
    options: { session?: string; channel?: string },
  ): Promise<IngestedChunk> {
    const { ctx, agent } = this;
    if (typeof content !== 'string' || content.length > 256 * 1024)
      throw new CarapaceError(
        'E_CALL_INVALID',
        'invalid content',
        'content: a string of at most 262144 characters',
      );
    const name = options.channel;
    if (name === undefined || !this.channels.has(name))
      throw new CarapaceError(
        'E_CALL_INVALID',
        'no such ingestion channel',
        `channel: one of ${[...this.channels].join(', ') || '(none: open the gateway with channels)'}`,
      );
    if (options.session !== undefined && !SESSION.test(options.session))
      throw new CarapaceError('E_CALL_INVALID', 'invalid session', `session: must match ${SESSION.source}`);
    return gatewayStep(async () => {
      const channel = await ctx.store.getChannel(name);
      if (!channel) throw new GatewayError(503, 'E_NO_CHANNEL', 'no ingestion channel', name);
      const { chunk, inserted, matched } = await registerChunk(ctx, channel, content);
      if (options.session !== undefined)
        await ctx.store.addSessionChunks(options.session, agent.id, [chunk.id]);
      await auditEvent(ctx, 'ingest', {
        by: agent.id,
        chunk: chunk.id,
        channel: chunk.channel,
        trust: chunk.trust,
        injection_suspected: chunk.injection_suspected,
        matched,
        session: options.session ?? null,
        agent: agent.id,
        first_seen: inserted,
      });
      return { id: chunk.id, trust: chunk.trust, injection_suspected: chunk.injection_suspected, matched };
    });
  }
}

/**
 * Runs a step of the pipeline and maps what the gateway would have answered with an error status to a
 * CarapaceError: an invalid call, or a log that cannot record (after the function ran, if `executed`).
 */
async function gatewayStep<T>(step: () => Promise<T>, executed = false): Promise<T> {
  try {
    return await step();
  } catch (e) {
    if (e instanceof CarapaceError) throw e;
    if (e instanceof GatewayError) {
      if (e.code === 'E_AUDIT_UNAVAILABLE')
        throw new CarapaceError('E_AUDIT_UNAVAILABLE', e.error, e.detail, executed);
      const code = e.status >= 400 && e.status < 500 ? 'E_CALL_INVALID' : 'E_GATEWAY_REFUSED';
      throw new CarapaceError(code, e.error, `${e.code}: ${e.detail}`, executed);
    }
    if (e instanceof TokenError)
      throw new CarapaceError(
        'E_GATEWAY_REFUSED',
        'the execution token was refused',
        `${e.code}: ${e.message}`,
      );
    // A store or log failure of any other kind: nothing is reported as done that was not recorded.
    throw new CarapaceError(
      'E_AUDIT_UNAVAILABLE',
      'the embedded gateway cannot carry out this step',
      (e as Error)?.message ?? String(e),
      executed,
    );
  }
}

/** Refuses every action: the embedded gateway runs no executor of its own. */
const noExecutor: Executor = {
  name: 'none',
  simulated: true,
  tools: [],
  execute: () => Promise.reject(new Error('the embedded gateway runs no executors')),
};

/** Tool outputs enter through `tool-output` (untrusted) unless their tool says they are more trusted. */
async function outputChannel(
  ctx: GatewayContext,
  trust: TrustLevel,
): Promise<{ name: string; trust: TrustLevel }> {
  if (trust === TOOL_OUTPUT_CHANNEL.trust) return TOOL_OUTPUT_CHANNEL;
  const name = `${TOOL_OUTPUT_CHANNEL.name}.${trust.replace('_', '-')}`;
  await ensureChannel(ctx, name, trust);
  return { name, trust };
}

async function ensureChannel(ctx: GatewayContext, name: string, trust: TrustLevel): Promise<void> {
  const existing = await ctx.store.getChannel(name);
  if (existing) {
    if (existing.trust !== trust)
      throw new CarapaceError(
        'E_OPTIONS_INVALID',
        'a channel cannot change its trust',
        `channel ${name} exists in this data directory as ${existing.trust}, not ${trust}`,
      );
    return;
  }
  try {
    await ctx.store.createChannel({
      name,
      trust,
      created_by: SDK,
      created_at: new Date(ctx.now()).toISOString(),
    });
  } catch (e) {
    // Created by a concurrent call since we looked: fine if it has the trust asked for.
    if ((await ctx.store.getChannel(name))?.trust === trust) return;
    throw e;
  }
  await auditEvent(ctx, 'admin.channel_created', { by: SDK, channel: name, trust });
}

async function ensureAgent(ctx: GatewayContext, name: string, tier: TrustTier): Promise<Principal> {
  const id = `agent:${name}`;
  const existing = await ctx.store.getPrincipal(id);
  if (existing) {
    if (existing.disabled)
      throw new CarapaceError(
        'E_OPTIONS_INVALID',
        'the agent is disabled',
        `${id} is disabled in this data directory`,
      );
    if (existing.certified_tier === tier) return existing;
    const updated = await ctx.store.setPrincipalTier(id, tier);
    await auditEvent(ctx, 'admin.tier_set', {
      by: SDK,
      principal: id,
      from: existing.certified_tier,
      to: tier,
    });
    return updated;
  }
  // The agent acts in this process only: its API key is made and thrown away, so no one holds it.
  const principal = await ctx.store.createPrincipal({
    id,
    name,
    role: 'agent',
    api_key_hash: hashApiKey(`${generateApiKey()}${randomUUID()}`),
    certified_tier: tier,
    created_at: new Date(ctx.now()).toISOString(),
  });
  await auditEvent(ctx, 'admin.principal_created', {
    by: SDK,
    principal: id,
    role: 'agent',
    channel: null,
    tier,
  });
  return principal;
}

function checkOptions(options: EmbeddedGatewayOptions): void {
  const bad = (detail: string) =>
    new CarapaceError('E_OPTIONS_INVALID', 'invalid embedded gateway options', detail);
  if (typeof options?.dataDir !== 'string' || options.dataDir === '') throw bad('dataDir: a directory path');
  const known = [
    'dataDir',
    'catalog',
    'engine',
    'policy',
    'watchPolicy',
    'agent',
    'channels',
    'now',
    'reviewTtlMs',
  ];
  for (const key of Object.keys(options)) if (!known.includes(key)) throw bad(`unknown option "${key}"`);
  if (options.engine !== undefined && options.catalog !== undefined)
    throw bad('give either engine or catalog, not both');
  if (options.policy !== undefined && typeof options.policy !== 'string')
    throw bad('policy: the path of a policy file');
  const name = options.agent?.name;
  if (name !== undefined && !NAME.test(name)) throw bad(`agent.name: must match ${NAME.source}`);
  const tier = options.agent?.tier;
  if (tier !== undefined && !(TRUST_TIERS as readonly string[]).includes(tier))
    throw bad('agent.tier: T0 to T7');
  for (const [channel, trust] of Object.entries(options.channels ?? {})) {
    if (!NAME.test(channel) || channel.startsWith(TOOL_OUTPUT_CHANNEL.name))
      throw bad(`channels: "${channel}" is not a channel name of your own`);
    if (!isTrustLevel(trust)) throw bad(`channels.${channel}: untrusted, semi_trusted or trusted`);
  }
}

function loadCatalog(catalog: EmbeddedGatewayOptions['catalog']): CompiledCatalog {
  if (catalog === undefined) return DEMO_CATALOG;
  if (isCompiledCatalog(catalog)) return catalog;
  let source: unknown = catalog;
  if (typeof catalog === 'string') {
    try {
      source = parseYaml(readFileSync(catalog, 'utf8'), { maxAliasCount: 0 });
    } catch (e) {
      throw new CarapaceError(
        'E_OPTIONS_INVALID',
        'the catalog cannot be read',
        `${catalog}: ${(e as Error).message}`,
      );
    }
  }
  // Round-trip through canonical JSON first: a YAML parser's output is plain data, a caller's may not be.
  const plain = toCanonicalJson(source, 32);
  if (!plain.ok)
    throw new CarapaceError(
      'E_OPTIONS_INVALID',
      'invalid tool catalog',
      `catalog${plain.path}: ${plain.reason}`,
    );
  const compiled = compileCatalog(plain.value);
  if (!compiled.ok) throw new CarapaceError('E_OPTIONS_INVALID', compiled.error.error, compiled.error.detail);
  return compiled.value;
}

function isCompiledCatalog(value: unknown): value is CompiledCatalog {
  const v = value as Partial<CompiledCatalog> | null;
  return typeof v === 'object' && v !== null && v.tools instanceof Map && typeof v.hash === 'string';
}
