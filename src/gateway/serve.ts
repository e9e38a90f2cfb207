// Opens a gateway on a data directory (the lock, the SQLite store, the audit log, the token key, the
// executors, the policy, the channels) and serves it with the Fastify app; closes them in order on
// shutdown so the audit log is flushed and checkpointed. The SDK's embedded gateway opens the same
// context without the HTTP part.

import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import type { AdapterOptions } from '../adapters/index.js';
import { findKeyFiles, generateLogKey, openDataDirLog } from '../audit/log_files.js';
import { readSigningKey, type SigningKey } from '../crypto/ed25519_key.js';
import { DEFAULT_ENGINE, DEFAULT_RULESET, type Engine } from '../engine/index.js';
import {
  BrokeredHttpExecutor,
  type BrokeredHttpExecutorOptions,
  compileWithHttpTool,
  HTTP_REQUEST_TOOL,
} from '../executors/http/index.js';
import type { GatewayAttestation } from '../vault/attestation.js';
import { type OutputSigner, publicKeyDigest } from '../vault/signed_output.js';
import type { Vault } from '../vault/vault.js';
import { createEchoExecutor } from '../executors/echo.js';
import type { Executor, TokenGate } from '../executors/executor.js';
import type { DataHall } from '../executors/netns/index.js';
import { ExecutorRegistry } from '../executors/registry.js';
import type { PolicyError } from '../policy/index.js';
import { openSqliteStore } from '../store/sqlite_store.js';
import type { Store, TrustLevel } from '../store/store.js';
import type { AuditStore } from '../audit/store.js';
import { buildGateway } from './app.js';
import { admit, generateApiKey, hashApiKey } from './auth.js';
import { GatewayError } from './gateway_error.js';
import { ensureChannel, TOOL_OUTPUT_CHANNEL } from './chunks.js';
import { auditEvent, type GatewayContext, type Inspectors } from './context.js';
import { lockDataDir } from './data_dir_lock.js';
import { createIdentityServices, type IdentityOptions } from './identity.js';
import { createGatewayLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { type PolicySource, PolicyRuntime, pruneOldCounters } from './policy_stage.js';
import { gatewayTokenGate } from './token_gate.js';

/** The policy file given at start does not compile: the gateway does not start without it. */
export class PolicyLoadError extends Error {
  readonly code = 'E_POLICY_COMPILE';
  constructor(
    /** The policy file, or null for a policy given compiled. */
    readonly path: string | null,
    readonly errors: readonly PolicyError[],
  ) {
    const first = errors[0];
    const at =
      first?.line !== undefined
        ? ` (line ${first.line}${first.column !== undefined ? `, column ${first.column}` : ''})`
        : '';
    super(`${path ?? 'the policy'}: ${first?.detail ?? 'does not compile'}${at}`);
    this.name = 'PolicyLoadError';
  }
}

export const TOKEN_KEY_NAME = 'carapace.local/exec';

/** Channels `--dev` creates: what the demo data hall's agents read from. */
export const DEMO_CHANNELS: [name: string, trust: 'untrusted' | 'semi_trusted' | 'trusted'][] = [
  ['syslog', 'semi_trusted'],
  ['operator-console', 'trusted'],
  ['web', 'untrusted'],
];

/** The credential broker (docs/vault.md): its vault, its output-signing key and their attestation. */
export interface BrokerOptions {
  vault: Vault;
  signer: OutputSigner;
  attestation: GatewayAttestation;
  /**
   * The executor of http.request, made with the gateway's gate. Default: the broker in this process
   * (BrokeredHttpExecutor); a SealedHttpExecutor runs it in the sealed process instead.
   */
  executor?: (gate: TokenGate) => Executor;
  /** For the in-process broker: a resolver or CA other than the system's. */
  http?: Pick<BrokeredHttpExecutorOptions, 'resolve' | 'ca'>;
}

/** What a gateway is made of, with or without its HTTP API. */
export interface GatewayContextOptions {
  dataDir: string;
  /** Epoch milliseconds; injected so tests control time. */
  now?: () => number;
  tokenTtlMs?: number;
  reviewTtlMs?: number;
  /**
   * Signs execution tokens. Default: the data directory's own key (`carapace.local/exec`, made on first
   * use), so a token minted before a restart is still honoured after it.
   */
  tokenKey?: SigningKey;
  /**
   * The executors beside the built-in echo, each made with the gateway's token gate (so none can act
   * without a redeemed token). Default: none, and every tool is recorded by echo only.
   */
  executors?: (gate: TokenGate) => Executor[];
  /** The OCR executable for image ingest; default `tesseract` on PATH. */
  ocrCommand?: string;
  /**
   * The policy to enforce: a file (YAML, JSON or English), reloaded when it changes unless `watchPolicy`
   * is false, or a policy compiled in process. One that does not compile stops the opening
   * (PolicyLoadError); later, a file that does not compile is refused and the policy in force stays.
   */
  policy?: PolicySource;
  watchPolicy?: boolean;
  /** How long an executor may run (default 30 s); after that the action is recorded as failed. */
  executorTimeoutMs?: number;
  /** The ruleset and tool catalog; default the built-in ruleset with the demo data hall's catalog. */
  engine?: Engine;
  /** The OpenAI proxy and the MCP gateway, mounted when their options are given. */
  adapters?: AdapterOptions;
  /**
   * Ingestion channels and their fixed trust, created when absent (beside `tool-output`, which always
   * exists). One that exists with another trust stops the opening (409 E_CHANNEL_TRUST).
   */
  channels?: Readonly<Record<string, TrustLevel>>;
  /** Who the audit log names as having created what the opening creates. */
  openedBy: string;
  /** DPoP nonces and public origin, behaviour monitor settings, the alert webhook. */
  identity?: IdentityOptions;
  /**
   * The credential broker. Its tool (http.request) must be in the engine's catalog: the default engine
   * becomes the demo catalog with it; a given engine without it stops the opening.
   */
  broker?: BrokerOptions;
  /**
   * The store, opened by the caller and closed with the gateway. Default: the SQLite store in the data
   * directory (`carapace.db`). Tests wrap it to inject faults.
   */
  store?: Store;
  /** The audit log's store. Default: the segment files in the data directory. */
  auditStore?: AuditStore;
  /** The inspect stage's detectors (default: the built-in ones). */
  inspectors?: Inspectors;
}

export interface OpenedGatewayContext {
  ctx: GatewayContext;
  /** Stops the timers and the policy watcher, then closes the audit log (a final checkpoint) and the store, and releases the lock. */
  close(): Promise<void>;
}

/** How often expired counter windows and long-closed client runs are swept out of the store. */
const SWEEP_MS = 60_000;
/** A client run is kept this long after its result was due, for anyone reading the store by hand. */
const CLIENT_RUN_KEPT_MS = 60 * 60 * 1000;
/** A DPoP proof's jti is kept this long after the proof stopped being accepted (clock differences). */
const DPOP_JTI_KEPT_MS = 10 * 60 * 1000;

/**
 * Locks `options.dataDir` and opens everything a gateway needs on it. Whatever fails, what was opened
 * is closed again and the lock released: the directory is left as it was found.
 */
export async function openGatewayContext(options: GatewayContextOptions): Promise<OpenedGatewayContext> {
  const lock = lockDataDir(options.dataDir);
  const opened: { close(): Promise<void> }[] = [];
  const undo = async () => {
    for (const o of opened.reverse()) await o.close().catch(() => {});
    lock.release();
  };
  try {
    const store = options.store ?? (await openSqliteStore(join(options.dataDir, 'carapace.db')));
    opened.push(store);
    const { log } = await openDataDirLog(
      options.dataDir,
      options.auditStore ? { store: options.auditStore } : {},
    );
    opened.push(log);
    const now = options.now ?? Date.now;
    const policy = options.policy ? new PolicyRuntime(options.policy, log, now) : null;
    if (policy) {
      opened.push(policy);
      const first = await policy.reload().catch((e: Error) => ({
        outcome: 'refused' as const,
        errors: [
          { error: 'the audit log refused the policy', code: 'E_POLICY_COMPILE' as const, detail: e.message },
        ],
        in_force: null,
      }));
      if (first.outcome === 'refused') throw new PolicyLoadError(policy.path, first.errors);
      if (options.watchPolicy !== false) policy.watch();
    }
    let gate: TokenGate = () => Promise.reject(new Error('the token gate is not ready'));
    const tokenKey = options.tokenKey ?? dataDirTokenKey(options.dataDir);
    const broker = options.broker;
    const engine =
      options.engine ??
      (broker ? { ruleset: DEFAULT_RULESET, catalog: compileWithHttpTool() } : DEFAULT_ENGINE);
    if (broker && !engine.catalog.tools.has(HTTP_REQUEST_TOOL))
      throw new Error(`the broker is on but catalog ${engine.catalog.name} has no ${HTTP_REQUEST_TOOL}`);
    const ctx: GatewayContext = {
      store,
      audit: log,
      engine,
      tokenKey,
      now,
      reviewTtlMs: options.reviewTtlMs ?? 15 * 60 * 1000,
      tokenTtlMs: options.tokenTtlMs ?? 5000,
      metrics: new Metrics(),
      executors: new ExecutorRegistry(createEchoExecutor((token, call) => gate(token, call), now)),
      gate: (token, call) => gate(token, call),
      policy,
      identity: createIdentityServices(store, now, tokenKey, options.identity),
      ...(options.adapters !== undefined ? { adapters: options.adapters } : {}),
      ...(options.executorTimeoutMs !== undefined ? { executorTimeoutMs: options.executorTimeoutMs } : {}),
      ...(options.ocrCommand !== undefined ? { ocrCommand: options.ocrCommand } : {}),
      ...(options.inspectors !== undefined ? { inspectors: options.inspectors } : {}),
      ...(broker ? { vault: broker.vault, attestation: broker.attestation } : {}),
    };
    gate = gatewayTokenGate(ctx);
    for (const executor of options.executors?.(ctx.gate) ?? []) ctx.executors.add(executor);
    if (broker) {
      ctx.executors.add(
        broker.executor?.(ctx.gate) ??
          new BrokeredHttpExecutor({
            vault: broker.vault,
            gate: ctx.gate,
            now,
            sign: (request, result) => broker.signer.sign(request, result, now()),
            ...broker.http,
          }),
      );
      // What the broker holds at start, by id, version and policy hash (never a value), and whether
      // each still unseals; the signing key and the TEE status, said as they are.
      await auditEvent(ctx, 'broker.opened', {
        by: options.openedBy,
        secrets: broker.vault.list().map((s) => ({
          id: s.id,
          version: s.version ?? null,
          policy_hash: s.policy_hash ?? null,
          sealed: s.sealed,
        })),
        tee: broker.attestation.status.tee,
        output_key_sha256: publicKeyDigest(broker.signer.publicKey).toString('hex'),
        catalog: engine.catalog.hash,
      });
    }

    // Tool outputs enter through their own channel, which always exists.
    await ensureChannel(ctx, TOOL_OUTPUT_CHANNEL, options.openedBy);
    for (const [name, trust] of Object.entries(options.channels ?? {}))
      await ensureChannel(ctx, { name, trust }, options.openedBy);

    const sweeper = setInterval(() => {
      const at = now();
      if (policy?.current) pruneOldCounters(store, policy.current, at).catch(() => {});
      store.pruneClientRuns(new Date(at - CLIENT_RUN_KEPT_MS).toISOString()).catch(() => {});
      // DPoP proof ids are kept past the age a proof is accepted at; execution-token ids are kept.
      store.pruneRedemptions(new Date(at - DPOP_JTI_KEPT_MS).toISOString(), 'dpop:').catch(() => {});
      ctx.identity.monitor.prune(at);
    }, SWEEP_MS).unref();
    opened.push({ close: async () => clearInterval(sweeper) });
    return { ctx, close: undo };
  } catch (e) {
    await undo();
    throw e;
  }
}

/** The data directory's token key, made the first time a gateway opens it. */
function dataDirTokenKey(dataDir: string): SigningKey {
  const found = findKeyFiles(dataDir, TOKEN_KEY_NAME);
  return found
    ? readSigningKey(found.privatePath, TOKEN_KEY_NAME)
    : generateLogKey(dataDir, TOKEN_KEY_NAME).key;
}

export interface RunningGateway {
  url: string;
  ctx: GatewayContext;
  /** The dev admin's key, when `dev` created one (shown once). */
  devAdminKey: string | null;
  close(): Promise<void>;
}

export async function startGateway(
  options: Omit<GatewayContextOptions, 'policy' | 'channels' | 'openedBy' | 'tokenKey'> & {
    port?: number;
    host?: string;
    /** The demo data hall's channels and an admin whose key is shown once. */
    dev?: boolean;
    /** pino level; default CARAPACE_LOG_LEVEL, else 'info'. */
    logLevel?: string;
    /** Where the JSON log lines go; default stdout. */
    logStream?: DestinationStream;
    /**
     * A policy file (YAML, JSON or English) to enforce, reloaded when it changes. One that does not
     * compile at start stops the gateway from starting (E_POLICY_COMPILE); later, it is refused and the
     * policy in force stays.
     */
    policyFile?: string;
    /** The data hall the executors act on, for the console's Before/After page (none: the page says so). */
    hall?: DataHall | null;
  },
): Promise<RunningGateway> {
  const { policyFile, dev, port, host, logLevel, logStream, hall, ...contextOptions } = options;
  const opened = await openGatewayContext({
    ...contextOptions,
    ...(policyFile !== undefined ? { policy: { file: policyFile } } : {}),
    // The demo data hall's ingestion channels, each with its fixed trust level.
    ...(dev ? { channels: Object.fromEntries(DEMO_CHANNELS) } : {}),
    openedBy: dev ? 'carapace serve --dev' : 'carapace serve',
  });
  const { ctx } = opened;
  let devAdminKey: string | null = null;
  let app: ReturnType<typeof buildGateway> | null = null;
  try {
    if (dev) {
      devAdminKey = generateApiKey();
      const name = `dev-admin-${Date.now().toString(36)}`;
      await ctx.store.createPrincipal({
        id: `admin:${name}`,
        name,
        role: 'admin',
        api_key_hash: hashApiKey(devAdminKey),
        created_at: new Date(ctx.now()).toISOString(),
      });
      await auditEvent(ctx, 'admin.principal_created', {
        by: 'carapace serve --dev',
        principal: `admin:${name}`,
        role: 'admin',
      });
    }
    const logger = createGatewayLogger({
      ...(logLevel !== undefined ? { level: logLevel } : {}),
      ...(logStream !== undefined ? { stream: logStream } : {}),
    });
    app = buildGateway(ctx, { logger, console: { dataDir: options.dataDir, hall: hall ?? null } });
    if (ctx.attestation) attestationRoute(app, ctx, ctx.attestation);
    const url = await app.listen({ port: port ?? 8787, host: host ?? '127.0.0.1' });
    const listening = app;
    return {
      url,
      ctx,
      devAdminKey,
      async close() {
        await listening.close();
        await opened.close();
      },
    };
  } catch (e) {
    // A port in use (or any failure to start): leave the data directory as it was found, unlocked.
    await app?.close().catch(() => {});
    await opened.close();
    throw e;
  }
}

/**
 * GET /v1/attestation?nonce=<64 hex>: a report binding the output-signing key and the caller's nonce
 * (report_data = SHA-256 of the key's SPKI DER ‖ nonce), or `tee: none` with the reason (any key).
 */
function attestationRoute(
  app: ReturnType<typeof buildGateway>,
  ctx: GatewayContext,
  attestation: GatewayAttestation,
): void {
  app.get(
    '/v1/attestation',
    {
      schema: {
        summary: "The output-signing key's attestation for a verifier's nonce, or tee: none",
        tags: ['broker'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          required: ['nonce'],
          additionalProperties: false,
          properties: { nonce: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
        },
      },
      onRequest: admit(ctx, ['agent', 'approver', 'admin', 'auditor', 'service']),
    },
    async (request) => {
      const { nonce } = request.query as { nonce: string };
      try {
        return attestation.attest(Buffer.from(nonce, 'hex'));
      } catch (e) {
        throw new GatewayError(
          503,
          'E_ATTESTATION_UNAVAILABLE',
          'the TEE did not produce a report',
          (e as Error).message,
        );
      }
    },
  );
}
