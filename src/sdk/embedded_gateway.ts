// The embedded gateway: the gateway's own context and pipeline opened in this process on a data
// directory (openGatewayContext), with no HTTP in between. A call is decided by the same stages (engine,
// inspect, policy with its counters), its decision is durable in the audit log, an execution token is
// minted and redeemed once through the gateway's token gate (which records the execution), and only
// then is the function called; recordOutcome then withholds or redacts its output, registers it as a
// chunk of the session, and records it. Reviews can be decided here by approvers of this process.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { generateSigningKey } from '../crypto/ed25519_key.js';
import {
  type CompiledCatalog,
  compileCatalog,
  DEFAULT_RULESET,
  DEMO_CATALOG,
  type Engine,
  isPlainObject,
  isTrustLevel,
  toCanonicalJson,
  TRUST_TIERS,
  type TrustLevel,
  type TrustTier,
} from '../engine/index.js';
import {
  type ApprovedReviewToken,
  proposeAction,
  recordFailure,
  recordOutcome,
  tokenForApprovedReview,
} from '../gateway/actions.js';
import { generateApiKey, hashApiKey } from '../gateway/auth.js';
import { isReservedChannel } from '../gateway/chunks.js';
import { auditEvent, type GatewayContext } from '../gateway/context.js';
import { GatewayError } from '../gateway/gateway_error.js';
import { ingestContent } from '../gateway/ingest.js';
import { decideReview, findReview } from '../gateway/reviews.js';
import type { PolicySource } from '../gateway/policy_stage.js';
import { NAME, SESSION } from '../gateway/schemas.js';
import { openGatewayContext, PolicyLoadError } from '../gateway/serve.js';
import { compilePolicy, type PolicyText } from '../policy/index.js';
import type { Principal, PrincipalRole, ReviewStatus } from '../store/store.js';
import { StoreError } from '../store/store_error.js';
import { TokenError } from '../tokens/index.js';
import {
  type CarapaceGateway,
  type GuardedAction,
  type IngestedChunk,
  type OutputRules,
  proposalBody,
} from './action.js';
import { CarapaceDeniedError, CarapaceError, CarapaceReviewPendingError } from './errors.js';
import { awaitReviewDecision, type ReviewState, type ReviewWait, reviewWait } from './review_wait.js';
import { failedRun, InFlightCalls, runToolFunction } from './tool_output.js';

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
  /**
   * The policy enforced on every call: the path of a policy file (YAML, JSON or English), reloaded when
   * it changes; or the policy itself, `{ format: 'english', text }`, `{ format: 'yaml', text }` or
   * `{ format: 'data', data }` (it cannot extend another).
   */
  policy?: string | PolicyText;
  /** Watch the policy file for changes (default true). */
  watchPolicy?: boolean;
  /** The agent this process acts as: a principal of the data directory, created if needed. */
  agent?: { name?: string; tier?: TrustTier };
  /**
   * Ingestion channels and their trust (e.g. `{ 'operator-console': 'trusted', syslog: 'semi_trusted' }`),
   * created if needed. A channel's trust never changes: one that exists with another trust is refused.
   */
  channels?: Record<string, TrustLevel>;
  /**
   * People who may decide this gateway's reviews from this process (approveReview, rejectReview): the
   * names of approver principals, created if needed. They are principals of their own, never the agent.
   */
  approvers?: string[];
  /**
   * What to do with a HUMAN_REVIEW. Default: throw CarapaceReviewPendingError at once. With `wait`, the
   * call waits for an approver's decision (polling every `pollMs`, default 1000, for up to `timeoutMs`,
   * default 5 min), as connectGateway's `review` does.
   */
  review?: { wait: boolean; timeoutMs?: number; pollMs?: number };
  /** Epoch milliseconds; for tests. */
  now?: () => number;
  /** How long a HUMAN_REVIEW waits before it expires (default 15 min). */
  reviewTtlMs?: number;
}

/** An approver's decision on a review, as the embedded gateway recorded it. */
export interface ReviewDecision {
  /** `pending_second_approval` when the review needs another approver. */
  outcome: 'approved' | 'rejected' | 'pending_second_approval';
  status: ReviewStatus;
}

/** The embedded gateway: what every gateway does, and the approvers of this process. */
export interface EmbeddedCarapaceGateway extends CarapaceGateway {
  readonly mode: 'embedded';
  /**
   * `approver` (one of the options' approvers) approves review `reviewId`, after the gateway decides the
   * reviewed call again for the agent as it stands now. Throws CarapaceError E_GATEWAY_REFUSED (detail:
   * E_REVIEW_REEVALUATED, E_REVIEW_CONFLICT, E_REVIEW_EXPIRED, ...) when the approval is not recorded.
   */
  approveReview(reviewId: string, options: { approver: string; note?: string }): Promise<ReviewDecision>;
  /** `approver` rejects review `reviewId`; the note says why. */
  rejectReview(reviewId: string, options: { approver: string; note: string }): Promise<ReviewDecision>;
}

/** The key that signs execution tokens in this process only: tokens never leave it, so nothing stores it. */
const TOKEN_KEY_NAME = 'carapace.local/sdk-exec';
const SDK = 'carapace sdk';
const DEFAULT_AGENT = 'sdk-agent';
/** Who ran a guarded function, in the audit log. */
const SDK_EXECUTOR = 'sdk';

/**
 * Opens the embedded gateway on `options.dataDir`. Refuses (CarapaceError) a data directory another
 * gateway holds, a catalog or policy that does not compile, a channel whose trust differs from the one
 * recorded, and a disabled agent or approver.
 */
export async function openEmbeddedGateway(options: EmbeddedGatewayOptions): Promise<EmbeddedCarapaceGateway> {
  checkOptions(options);
  const engine = options.engine ?? { ruleset: DEFAULT_RULESET, catalog: loadCatalog(options.catalog) };
  const review = reviewWait(options.review, 'invalid embedded gateway options');
  let opened: Awaited<ReturnType<typeof openGatewayContext>>;
  try {
    const policy = options.policy === undefined ? undefined : policySource(options.policy);
    opened = await openGatewayContext({
      dataDir: options.dataDir,
      engine,
      tokenKey: generateSigningKey(TOKEN_KEY_NAME),
      ...(policy !== undefined ? { policy } : {}),
      ...(options.watchPolicy !== undefined ? { watchPolicy: options.watchPolicy } : {}),
      ...(options.channels !== undefined ? { channels: options.channels } : {}),
      ...(options.now !== undefined ? { now: options.now } : {}),
      ...(options.reviewTtlMs !== undefined ? { reviewTtlMs: options.reviewTtlMs } : {}),
      openedBy: SDK,
    });
  } catch (e) {
    throw openingError(e);
  }
  const { ctx } = opened;
  try {
    const agent = await ensurePrincipal(
      ctx,
      'agent',
      options.agent?.name ?? DEFAULT_AGENT,
      options.agent?.tier ?? 'T0',
    );
    const approvers = new Map<string, string>();
    for (const name of options.approvers ?? [])
      approvers.set(name, (await ensurePrincipal(ctx, 'approver', name, 'T0')).id);
    return new EmbeddedGateway(
      ctx,
      agent,
      new Set(Object.keys(options.channels ?? {})),
      approvers,
      review,
      opened.close,
    );
  } catch (e) {
    await opened.close();
    throw openingError(e);
  }
}

/** A policy path as a file to watch; a policy given in place, compiled now (it cannot extend another). */
function policySource(policy: string | PolicyText): PolicySource {
  if (typeof policy === 'string') return { file: policy };
  const compiled = compilePolicy(policy);
  if (!compiled.ok) throw new PolicyLoadError(null, compiled.errors);
  return { compiled: compiled.value };
}

/** What stopped the gateway from opening, as the SDK's error. */
function openingError(e: unknown): unknown {
  if (e instanceof CarapaceError) return e;
  if (e instanceof PolicyLoadError)
    return new CarapaceError('E_OPTIONS_INVALID', 'the policy does not compile', e.message);
  if (e instanceof GatewayError) return new CarapaceError('E_OPTIONS_INVALID', e.error, e.detail);
  return e;
}

class EmbeddedGateway implements EmbeddedCarapaceGateway {
  readonly mode = 'embedded' as const;
  private readonly calls = new InFlightCalls('the embedded gateway is closed');

  constructor(
    private readonly ctx: GatewayContext,
    private readonly agent: Principal,
    private readonly channels: ReadonlySet<string>,
    /** Approver name → principal id. */
    private readonly approvers: ReadonlyMap<string, string>,
    private readonly review: ReviewWait,
    private readonly release: () => Promise<void>,
  ) {}

  perform(
    action: GuardedAction,
    rules: OutputRules,
    run: (args: Record<string, unknown>) => unknown,
    onDecision?: Parameters<CarapaceGateway['perform']>[3],
  ): Promise<unknown> {
    return this.calls.track(() => this.performOpen(action, rules, run, onDecision));
  }

  ingest(content: string, options: { session?: string; channel?: string } = {}): Promise<IngestedChunk> {
    return this.calls.track(() => this.ingestOpen(content, options));
  }

  approveReview(reviewId: string, options: { approver: string; note?: string }): Promise<ReviewDecision> {
    return this.calls.track(() => this.decide(reviewId, options, true));
  }

  rejectReview(reviewId: string, options: { approver: string; note: string }): Promise<ReviewDecision> {
    return this.calls.track(() => this.decide(reviewId, options, false));
  }

  async close(): Promise<void> {
    if (await this.calls.close()) await this.release();
  }

  private async performOpen(
    action: GuardedAction,
    rules: OutputRules,
    run: (args: Record<string, unknown>) => unknown,
    onDecision?: Parameters<CarapaceGateway['perform']>[3],
  ): Promise<unknown> {
    const { ctx, agent } = this;
    const proposed = await gatewayStep(() => proposeAction(ctx, agent, proposalBody(action)));
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
    const about = { tool: action.tool, rule: final.rule, explanation: final.explanation, record, audit };
    if (final.decision === 'DENY' || final.decision === 'QUARANTINE')
      throw new CarapaceDeniedError({ ...about, decision: final.decision });

    // The token binds the canonical tool and the arguments the function may run with: on ALLOW the
    // ones decided now, after an approval exactly the reviewed ones.
    let allowed: Pick<ApprovedReviewToken, 'token' | 'tool' | 'args' | 'session'>;
    if (final.decision === 'HUMAN_REVIEW') {
      if (!review) throw new Error('a HUMAN_REVIEW without a review');
      const pending = new CarapaceReviewPendingError({
        ...about,
        reviewId: review.id,
        expiresAt: review.expires_at,
      });
      if (!this.review.wait) throw pending;
      allowed = await awaitReviewDecision(() => this.reviewState(review.id), pending, this.review);
    } else {
      allowed = {
        token: fields.token as string,
        tool: record.tool as string,
        args: decided.args,
        session: action.session ?? null,
      };
    }
    const { tool, args } = allowed;
    // The gate verifies the token for exactly this call, spends it once, and records the execution
    // durably before the function is called.
    const { jti } = await gatewayStep(() => ctx.gate(allowed.token, { agentId: agent.id, tool, args }));
    const ran = await runToolFunction(() => run(structuredClone(args)), rules.timeoutMs);
    const executed = { jti, tool, executor: SDK_EXECUTOR };
    if (!ran.ok) {
      const { failure, thrown } = failedRun(action.tool, ran, rules.timeoutMs);
      await gatewayStep(() => recordFailure(ctx, agent, { ...executed, ...failure }), true);
      throw thrown;
    }
    const recorded = await gatewayStep(
      () =>
        recordOutcome(ctx, agent, {
          ...executed,
          outcome: ran.output,
          session: allowed.session,
          trust: rules.trust,
          redact: rules.redact,
        }),
      true,
    );
    if (recorded.withheld)
      throw new CarapaceError(
        recorded.withheld.code,
        recorded.withheld.code === 'E_OUTPUT_NOT_JSON'
          ? `${action.tool} ran, but its output cannot be inspected: it is not JSON the gateway records`
          : `${action.tool} ran, but the policy withholds its output (audit seq ${recorded.audit.seq})`,
        recorded.withheld.reason,
        true,
      );
    return recorded.result;
  }

  /** The review as a poll sees it; approved, with the token its call runs with. */
  private async reviewState(id: string): Promise<ReviewState<ApprovedReviewToken>> {
    const review = await gatewayStep(() => findReview(this.ctx, id));
    if (review.status === 'approved')
      return {
        status: 'approved' as const,
        approved: await gatewayStep(() => tokenForApprovedReview(this.ctx, review)),
      };
    if (review.status === 'pending') return { status: 'pending' as const };
    return { status: review.status, note: review.note ?? '' };
  }

  private async decide(
    reviewId: string,
    options: { approver: string; note?: string },
    approve: boolean,
  ): Promise<ReviewDecision> {
    const invalid = (detail: string) =>
      new CarapaceError('E_CALL_INVALID', 'invalid review decision', detail);
    if (!isPlainObject(options)) throw invalid('options: { approver, note }');
    const id = this.approvers.get(options.approver);
    if (id === undefined)
      throw invalid(
        `approver: one of ${[...this.approvers.keys()].join(', ') || '(none: open the gateway with approvers)'}`,
      );
    const note = options.note ?? '';
    if (typeof note !== 'string' || note.length > 4096 || (!approve && note === ''))
      throw invalid(
        `note: ${approve ? 'at most 4096 characters' : 'a rejection says why, in at most 4096 characters'}`,
      );
    const approver = await gatewayStep(() => this.ctx.store.getPrincipal(id));
    if (!approver) throw invalid(`approver: ${id} no longer exists`);
    try {
      const decided = await decideReview(this.ctx, approver, reviewId, { approve, note });
      const status = decided.review?.status ?? (approve ? 'approved' : 'rejected');
      return { outcome: decided.outcome as ReviewDecision['outcome'], status };
    } catch (e) {
      // The gateway's own refusal, by its code, as a remote approver would get it.
      if (e instanceof GatewayError && e.code !== 'E_AUDIT_UNAVAILABLE')
        throw new CarapaceError('E_GATEWAY_REFUSED', e.error, `${e.code}: ${e.detail}`);
      return gatewayStep(() => Promise.reject(e));
    }
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
      const { chunk, matched } = await ingestContent(
        ctx,
        { by: agent.id, channel, session: options.session ?? null, agentId: agent.id },
        content,
      );
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

/**
 * The principal `<role>:<name>` of the data directory, created when absent (its API key made and thrown
 * away: it acts in this process only, so no one holds it). A disabled one stops the opening; an
 * agent's tier is set to `tier` (recorded as admin.tier_set when it changes).
 */
async function ensurePrincipal(
  ctx: GatewayContext,
  role: Extract<PrincipalRole, 'agent' | 'approver'>,
  name: string,
  tier: TrustTier,
): Promise<Principal> {
  const id = `${role}:${name}`;
  const existing = await ctx.store.getPrincipal(id);
  if (existing) {
    if (existing.disabled)
      throw new CarapaceError(
        'E_OPTIONS_INVALID',
        `the ${role} is disabled`,
        `${id} is disabled in this data directory`,
      );
    if (role !== 'agent' || existing.certified_tier === tier) return existing;
    const updated = await ctx.store.setPrincipalTier(id, tier);
    await auditEvent(ctx, 'admin.tier_set', {
      by: SDK,
      principal: id,
      from: existing.certified_tier,
      to: tier,
    });
    return updated;
  }
  const principal = await ctx.store
    .createPrincipal({
      id,
      name,
      role,
      api_key_hash: hashApiKey(`${generateApiKey()}${randomUUID()}`),
      certified_tier: tier,
      created_at: new Date(ctx.now()).toISOString(),
    })
    .catch((e: unknown) => {
      // Names are unique across roles: a name another principal holds is never reused for this one.
      if (e instanceof StoreError && e.code === 'E_STORE_CONFLICT')
        throw new CarapaceError(
          'E_OPTIONS_INVALID',
          `the ${role} cannot be created`,
          `${name} is another principal's name`,
        );
      throw e;
    });
  await auditEvent(ctx, 'admin.principal_created', {
    by: SDK,
    principal: id,
    role,
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
    'approvers',
    'review',
    'now',
    'reviewTtlMs',
  ];
  for (const key of Object.keys(options)) if (!known.includes(key)) throw bad(`unknown option "${key}"`);
  if (options.engine !== undefined && options.catalog !== undefined)
    throw bad('give either engine or catalog, not both');
  if (options.policy !== undefined && typeof options.policy !== 'string' && !isPlainObject(options.policy))
    throw bad('policy: the path of a policy file, or { format, text } / { format: "data", data }');
  const name = options.agent?.name;
  if (name !== undefined && !NAME.test(name)) throw bad(`agent.name: must match ${NAME.source}`);
  const tier = options.agent?.tier;
  if (tier !== undefined && !(TRUST_TIERS as readonly string[]).includes(tier))
    throw bad('agent.tier: T0 to T7');
  for (const [channel, trust] of Object.entries(options.channels ?? {})) {
    if (!NAME.test(channel) || isReservedChannel(channel))
      throw bad(`channels: "${channel}" is not a channel name of your own`);
    if (!isTrustLevel(trust)) throw bad(`channels.${channel}: untrusted, semi_trusted or trusted`);
  }
  const approvers = options.approvers ?? [];
  if (!Array.isArray(approvers) || approvers.some((a) => typeof a !== 'string' || !NAME.test(a)))
    throw bad(`approvers: names that match ${NAME.source}`);
  if (new Set(approvers).size !== approvers.length) throw bad('approvers: each name once');
  if (approvers.includes(options.agent?.name ?? DEFAULT_AGENT))
    throw bad('approvers: the agent is never its own approver');
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
