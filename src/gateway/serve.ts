// Opens a gateway on a data directory (the lock; the store: the directory's SQLite file or a PostgreSQL
// database shared by a cluster; the audit log: the directory's segment files or, with a PostgreSQL
// store, the cluster's one shared log; the token key, the executors, the policy, the channels) and
// serves it with the Fastify app; closes them in order on shutdown so the audit log is flushed and
// checkpointed. The SDK's embedded gateway opens the same context without the HTTP part.

import { WitnessExporter, type WitnessTarget } from '../witness/exporter.js';
import { createPublicKey } from 'node:crypto';
import type { DestinationStream } from 'pino';
import type { AdapterOptions } from '../adapters/index.js';
import { openGatewayAuditLog } from '../audit/cluster_log.js';
import {
  dataDirKey,
  dataDirKeyStorage,
  type KeyStorage,
  openDataDirLog,
  recordKeysSealed,
} from '../audit/log_files.js';
import { isSealedKeyFile, type KeySealer, type SigningKey } from '../crypto/ed25519_key.js';
import { DEFAULT_ENGINE, DEFAULT_RULESET, type Engine } from '../engine/index.js';
import {
  BrokeredHttpExecutor,
  type BrokeredHttpExecutorOptions,
  compileWithHttpTool,
  HTTP_REQUEST_TOOL,
  StoreSecretRateLimiter,
} from '../executors/http/index.js';
import {
  SealedHttpExecutor,
  type SealedRequester,
  SealedTransportError,
} from '../executors/http/sealed/sealed_client.js';
import {
  type AttestationAnswer,
  type AttestationSource,
  GatewayAttestation,
  type SelfAppraisal,
} from '../vault/attestation.js';
import { dataDirKeySealer } from '../vault/sealed_key_file.js';
import { type OutputSigner, publicKeyDigest } from '../vault/signed_output.js';
import type { Vault } from '../vault/vault.js';
import { createEchoExecutor } from '../executors/echo.js';
import type { Executor, TokenGate } from '../executors/executor.js';
import type { DataHall } from '../executors/netns/index.js';
import { ExecutorRegistry } from '../executors/registry.js';
import type { PolicyError } from '../policy/index.js';
import type { Principal, Store, TrustLevel } from '../store/store.js';
import type { AuditStore } from '../audit/store.js';
import type { TeeStatus } from '../vault/tee.js';
import { buildGateway } from './app.js';
import { admit, generateApiKey, hashApiKey } from './auth.js';
import { GatewayError } from './gateway_error.js';
import { ensureChannel, TOOL_OUTPUT_CHANNEL } from './chunks.js';
import { fanOutPolicyReloads, openGatewayStore, sharedTokenKey } from './cluster.js';
import { auditEvent, type GatewayContext, type Inspectors } from './context.js';
import { lockDataDir } from './data_dir_lock.js';
import { createIdentityServices, type IdentityOptions } from './identity.js';
import { type CorrelationParams, correlationParams } from '../monitor/cross_agent.js';
import { createGatewayLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { type PolicySource, PolicyRuntime, pruneOldCounters } from './policy_stage.js';
import { gatewayTokenGate } from './token_gate.js';
import {
  closeListener,
  createListener,
  type Listener,
  type ListenerConfig,
  listen,
  listenerUrl,
  type TlsFiles,
} from './listeners.js';
import {
  assessDeployment,
  type DeploymentFacts,
  enforceSecurityLevel,
  isLoopbackHost,
  type ListenerFacts,
  type SecurityCheck,
  type SecurityLevel,
} from './security_levels.js';

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

/**
 * The credential broker (docs/vault.md): in this process (its vault, its output-signing key and their
 * attestation), or in the sealed process, reached over its transport (SealedBrokerOptions).
 */
export type BrokerOptions = LocalBrokerOptions | SealedBrokerOptions;

/**
 * The broker in the sealed process: the gateway holds no secret and no output-signing key. It redeems
 * each token at its own gate and hands the call on; `pong` is the sealed process's answer to the ping
 * made at start (its secrets by id, its key, its TEE status), recorded in broker.opened.
 */
export interface SealedBrokerOptions {
  sealed: SealedRequester;
  /** Where the sealed process listens (tcp://127.0.0.1:PORT), for the audit entry. */
  endpoint: string;
  pong: Record<string, unknown>;
}

export interface LocalBrokerOptions {
  sealed?: undefined;
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
  /**
   * The store: a postgres:// URL (`?schema=` optional) shared by every instance of a cluster, or none
   * for the data directory's own SQLite file. Each instance keeps its own data directory all the same.
   */
  store?: string;
  /**
   * A private key file (PKCS#8 PEM, mode 0600) to sign and verify execution tokens with instead of the
   * data directory's: every instance of a cluster is given the same one, so a token minted on one
   * redeems on another. Ignored when `tokenKey` is given.
   */
  tokenKeyFile?: string;
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
   * Seals the gateway's private key files at rest (the log key, the token key): written sealed, read
   * back sealed, and a plain one found sealed in place (recorded as keys.sealed). Default: under the
   * sealing root when there is one (the local broker's vault root, else $CARAPACE_MASTER_KEY or
   * <data>/vault/master.key); null keeps them plain PEM.
   */
  keySealer?: KeySealer | null;
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
  /** Instruction integrity: `required` refuses every agent without an approved set (default: only bound agents). */
  instructionIntegrity?: { required: boolean };
  /** Cross-agent correlation: agents and window (docs/semantic-governance.md). */
  correlation?: Partial<CorrelationParams>;
  /**
   * The credential broker. Its tool (http.request) must be in the engine's catalog: the default engine
   * becomes the demo catalog with it; a given engine without it stops the opening.
   */
  broker?: BrokerOptions;
  /**
   * A store opened by the caller (instead of `store`), closed with the gateway. Tests wrap one to
   * inject faults.
   */
  openedStore?: Store;
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
    const store = options.openedStore ?? (await openGatewayStore(options.dataDir, options.store));
    opened.push(store);
    const sealer = gatewayKeySealer(options);
    // A cluster's instances append to one log in the store's database, each signing with its own key.
    // A log key found plain is sealed in place as the log opens, which records keys.sealed itself.
    const { log } = options.auditStore
      ? await openDataDirLog(options.dataDir, { store: options.auditStore, sealer })
      : await openGatewayAuditLog(options.dataDir, options.store, { sealer });
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
    const stopFanOut = fanOutPolicyReloads(store, policy);
    opened.push({ close: async () => stopFanOut() });
    let gate: TokenGate = () => Promise.reject(new Error('the token gate is not ready'));
    let tokenKey = options.tokenKey;
    if (!tokenKey && options.tokenKeyFile !== undefined)
      tokenKey = sharedTokenKey(options.tokenKeyFile, TOKEN_KEY_NAME, sealer);
    if (!tokenKey) {
      const own = dataDirKey(options.dataDir, TOKEN_KEY_NAME, sealer);
      if (own.migrated && sealer) await recordKeysSealed(log, [TOKEN_KEY_NAME], sealer);
      tokenKey = own.key;
    }
    const broker = options.broker;
    const sealedBroker = broker?.sealed !== undefined ? (broker as SealedBrokerOptions) : null;
    const localBroker = broker?.sealed === undefined ? (broker as LocalBrokerOptions | undefined) : undefined;
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
      ...(options.instructionIntegrity !== undefined
        ? { instructionIntegrity: options.instructionIntegrity }
        : {}),
      ...(options.correlation !== undefined ? { correlation: correlationParams(options.correlation) } : {}),
      ...(options.inspectors !== undefined ? { inspectors: options.inspectors } : {}),
      ...(localBroker ? { vault: localBroker.vault, attestation: localBroker.attestation } : {}),
      ...(sealedBroker ? { attestation: sealedAttestation(sealedBroker.sealed) } : {}),
      keyStorage: { keys: gatewayKeyStorage(options), sealingRoot: sealer !== null },
    };
    gate = gatewayTokenGate(ctx);
    for (const executor of options.executors?.(ctx.gate) ?? []) ctx.executors.add(executor);
    if (localBroker) {
      ctx.executors.add(
        localBroker.executor?.(ctx.gate) ??
          new BrokeredHttpExecutor({
            vault: localBroker.vault,
            gate: ctx.gate,
            now,
            sign: (request, result) => localBroker.signer.sign(request, result, now()),
            // Counted in the store, so instances sharing one store share each secret's rpm.
            rateLimiter: new StoreSecretRateLimiter(store),
            ...localBroker.http,
          }),
      );
      // What the broker holds at start, by id, version and policy hash (never a value), and whether
      // each still unseals; the signing key and the TEE status, said as they are.
      await auditEvent(ctx, 'broker.opened', {
        by: options.openedBy,
        secrets: localBroker.vault.list().map((s) => ({
          id: s.id,
          version: s.version ?? null,
          policy_hash: s.policy_hash ?? null,
          sealed: s.sealed,
        })),
        tee: localBroker.attestation.status.tee,
        // The gateway's appraisal of its own report: obtained, signature, binding, each with its reason.
        tee_appraisal: localBroker.attestation.selfAppraisal,
        measurement: localBroker.signer.measurement,
        output_key_sha256: publicKeyDigest(localBroker.signer.publicKey).toString('hex'),
        catalog: engine.catalog.hash,
      });
    }
    if (sealedBroker) {
      ctx.executors.add(new SealedHttpExecutor(sealedBroker.sealed, ctx.gate));
      // The same record, as the sealed process said it in its pong: the gateway holds none of it.
      const pong = sealedBroker.pong;
      await auditEvent(ctx, 'broker.opened', {
        by: options.openedBy,
        sealed: sealedBroker.endpoint,
        secrets: Array.isArray(pong.secrets) ? pong.secrets : [],
        tee: typeof pong.tee === 'string' ? pong.tee : 'unknown',
        measurement: typeof pong.measurement === 'string' ? pong.measurement : 'none',
        tee_appraisal:
          typeof pong.tee_appraisal === 'object' && pong.tee_appraisal !== null ? pong.tee_appraisal : null,
        output_key_sha256:
          typeof pong.public_key_pem === 'string'
            ? publicKeyDigest(createPublicKey(pong.public_key_pem)).toString('hex')
            : null,
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
      // Without a policy, only the broker's per-minute counters exist: two minutes are kept.
      else if (localBroker) store.pruneCounters(new Date(at - 120_000).toISOString()).catch(() => {});
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

/** The sealer of the gateway's key files: the one given, else the local broker's vault root, else the data directory's root. */
function gatewayKeySealer(options: GatewayContextOptions): KeySealer | null {
  if (options.keySealer !== undefined) return options.keySealer;
  const broker = options.broker;
  if (broker && broker.sealed === undefined) return broker.vault.keySealer();
  return dataDirKeySealer(options.dataDir);
}

/** The private key files the gateway signs with, and whether each is sealed (for keys-sealed). */
export function gatewayKeyStorage(options: {
  dataDir: string;
  tokenKeyFile?: string | undefined;
}): KeyStorage[] {
  const own = dataDirKeyStorage(options.dataDir);
  if (options.tokenKeyFile === undefined) return own;
  return [
    ...own.filter((k) => k.name !== TOKEN_KEY_NAME),
    {
      name: TOKEN_KEY_NAME,
      path: options.tokenKeyFile,
      sealed: isSealedKeyFile(options.tokenKeyFile) === true,
    },
  ];
}

export interface RunningGateway {
  /** The data plane's URL (with a single listener, the only one). */
  url: string;
  /** The control plane's URL: its own listener when the planes are split, else `url`. */
  controlUrl: string;
  /** The configuration checked against every security level at start (docs/security-levels.md). */
  security: SecurityCheck[];
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
    /**
     * 'split': the control plane (admin, approver and auditor routes, the console) on its own listener
     * (controlHost:controlPort), where agent and service credentials are refused; the data plane on
     * host:port. 'single' (default here, for embedding and tests): one listener serves both.
     * `carapace serve` defaults to 'split'.
     */
    planes?: 'single' | 'split';
    /** The control listener's port (default 8788) and address (default 127.0.0.1). */
    controlPort?: number;
    controlHost?: string;
    /** HTTPS on the data listener (or the single one). */
    tls?: TlsFiles;
    /** HTTPS on the control listener; default `tls`. With clientCaFile, mutual TLS. */
    controlTls?: TlsFiles;
    /**
     * Refuse to start unless every requirement of this level is met (SecurityLevelError names each unmet
     * one). SH-2 and above also read principals on every call unless identity.revocationCacheMaxMs is set.
     */
    securityLevel?: SecurityLevel;
    /**
     * Witnesses each audit checkpoint is submitted to (c2sp.org/tlog-witness); each cosignature is
     * recorded as a `checkpoint.cosigned` entry. Never blocks a decision; GET /v1/audit/witness says
     * whether every checkpoint so far is cosigned. SH-3 needs at least one reachable at start.
     */
    witnesses?: readonly WitnessTarget[];
  },
): Promise<RunningGateway> {
  const {
    policyFile,
    dev,
    port,
    host,
    logLevel,
    logStream,
    hall,
    planes,
    controlPort,
    controlHost,
    tls,
    controlTls,
    securityLevel,
    witnesses,
    ...contextOptions
  } = options;
  const strictRevocation =
    securityLevel !== undefined &&
    securityLevel !== 'SH-1' &&
    contextOptions.identity?.revocationCacheMaxMs === undefined;
  const split = planes === 'split';
  const dataListener: ListenerConfig = {
    host: host ?? '127.0.0.1',
    port: port ?? 8787,
    ...(tls ? { tls } : {}),
  };
  const controlListener: ListenerConfig | null = split
    ? {
        host: controlHost ?? '127.0.0.1',
        port: controlPort ?? 8788,
        ...((controlTls ?? tls) ? { tls: (controlTls ?? tls) as TlsFiles } : {}),
      }
    : null;
  const opened = await openGatewayContext({
    ...contextOptions,
    ...(strictRevocation ? { identity: { ...contextOptions.identity, revocationCacheMaxMs: 0 } } : {}),
    ...(policyFile !== undefined ? { policy: { file: policyFile } } : {}),
    // The demo data hall's ingestion channels, each with its fixed trust level.
    ...(dev ? { channels: Object.fromEntries(DEMO_CHANNELS) } : {}),
    openedBy: dev ? 'carapace serve --dev' : 'carapace serve',
  });
  const { ctx } = opened;
  let devAdminKey: string | null = null;
  let app: ReturnType<typeof buildGateway> | null = null;
  let control: Listener | null = null;
  try {
    let witnessFacts: DeploymentFacts['witnesses'];
    if (witnesses && witnesses.length > 0) {
      ctx.witness = new WitnessExporter(ctx.audit, witnesses);
      const reachable = await ctx.witness.probe();
      witnessFacts = witnesses.map((w, i) => ({
        name: w.key.name,
        url: w.url,
        reachable: reachable[i] === true,
      }));
    }
    const facts = {
      ...(await deploymentFacts(ctx, dataListener, controlListener)),
      ...(witnessFacts ? { witnesses: witnessFacts } : {}),
    };
    const security = assessDeployment(facts);
    // Before anything is created or served: a level not met stops the start, naming what is missing.
    if (securityLevel !== undefined) {
      enforceSecurityLevel(securityLevel, facts);
      // Kept while running: from SH-2 new agents require DPoP and none may stop (routes_admin, routes_identity).
      ctx.securityLevel = securityLevel;
    }
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
    // One router; each listener marks its requests with its plane (listeners.ts, planes.ts).
    const custom = split || tls !== undefined;
    const router: { handler: Parameters<typeof createListener>[2] | null } = { handler: null };
    // Both listeners on loopback (`npm start`): a browser opening the data listener's / is sent to the
    // console. Otherwise the data listener does not say where the control plane is.
    let consoleUrl: string | null = null;
    app = buildGateway(ctx, {
      logger,
      console: { dataDir: options.dataDir, hall: hall ?? null },
      consoleUrl: () => consoleUrl,
      ...(custom
        ? {
            serverFactory: (h) => {
              router.handler = h;
              return createListener(split ? 'data' : null, tls, h);
            },
          }
        : {}),
    });
    if (ctx.attestation) attestationRoute(app, ctx, ctx.attestation);
    const listened = await app.listen({ port: dataListener.port, host: dataListener.host });
    // Fastify does not know a server it did not make speaks TLS: the URL is read from the server.
    const url = custom ? listenerUrl(app.server as Listener, dataListener) : listened;
    let controlUrl = url;
    if (controlListener && router.handler) {
      control = createListener('control', controlListener.tls, router.handler);
      controlUrl = await listen(control, controlListener);
      if (isLoopbackHost(dataListener.host) && isLoopbackHost(controlListener.host)) consoleUrl = controlUrl;
    }
    const listening = app;
    const controlServer = control;
    return {
      url,
      controlUrl,
      ctx,
      devAdminKey,
      security,
      async close() {
        // The app's preClose ends the console's streams first; then both listeners close.
        const closing = listening.close();
        if (controlServer) await closeListener(controlServer);
        await closing;
        // The last checkpoint is offered to the witnesses before the log closes (bounded by their timeout).
        if (ctx.witness) {
          await ctx.audit.checkpoint().catch(() => {});
          await ctx.witness.flush();
          await ctx.witness.close();
        }
        await opened.close();
      },
    };
  } catch (e) {
    // A port in use (or any failure to start): leave the data directory as it was found, unlocked.
    await ctx.witness?.close().catch(() => {});
    if (control) await closeListener(control).catch(() => {});
    await app?.close().catch(() => {});
    await opened.close();
    throw e;
  }
}

/** The facts the security levels are checked against, read from the gateway as it is configured. */
export async function deploymentFacts(
  ctx: GatewayContext,
  data: ListenerConfig,
  control: ListenerConfig | null,
): Promise<DeploymentFacts> {
  return deploymentFactsOf({
    data,
    control,
    tokenKeyName: ctx.tokenKey.name,
    vault: ctx.vault ?? null,
    privateKeys: ctx.keyStorage ?? null,
    revocationCacheMaxMs: ctx.identity.principals.maxTtlMs,
    principals: await ctx.store.listPrincipals().catch(() => null),
    // The gateway appraises only its own report; a sealed process's report is not checked here.
    tee: ctx.attestation instanceof GatewayAttestation ? ctx.attestation.status : null,
    teeAppraisal: ctx.attestation instanceof GatewayAttestation ? ctx.attestation.selfAppraisal : null,
  });
}

/** The same facts from their parts, for `carapace doctor`, which reads them without starting a gateway. */
export function deploymentFactsOf(parts: {
  data: ListenerConfig;
  control: ListenerConfig | null;
  tokenKeyName: string | null;
  vault: Pick<Vault, 'rootInfo'> | null;
  /** The gateway's private key files and whether a sealing root is there (null: none known, e.g. injected keys). */
  privateKeys: { keys: readonly KeyStorage[]; sealingRoot: boolean } | null;
  revocationCacheMaxMs: number;
  principals: readonly Principal[] | null;
  tee: TeeStatus | null;
  /** The gateway's appraisal of its own report (GatewayAttestation.selfAppraisal), when it made one. */
  teeAppraisal?: SelfAppraisal | null;
}): DeploymentFacts {
  const listener = (plane: ListenerFacts['plane'], l: ListenerConfig): ListenerFacts => ({
    plane,
    host: l.host,
    port: l.port,
    tls: l.tls !== undefined,
    clientCerts: l.tls?.clientCaFile !== undefined,
  });
  let root = 'unknown';
  try {
    root = parts.vault ? parts.vault.rootInfo(false).source : root;
  } catch {
    // No root key yet (no secret stored): the vault makes one with the first secret.
  }
  const { data, control, tee } = parts;
  return {
    planes: control ? 'split' : 'single',
    listeners: control ? [listener('data', data), listener('control', control)] : [listener('both', data)],
    tokenSigning: parts.tokenKeyName ? { algorithm: 'EdDSA', keyName: parts.tokenKeyName } : null,
    vault: parts.vault ? { root } : null,
    privateKeys: parts.privateKeys
      ? {
          keys: parts.privateKeys.keys.map((k) => ({ name: k.name, path: k.path, sealed: k.sealed })),
          sealingRoot: parts.privateKeys.sealingRoot,
        }
      : null,
    revocationCacheMaxMs: parts.revocationCacheMaxMs,
    agents:
      parts.principals
        ?.filter((p) => p.role === 'agent' && !p.disabled && p.revoked_at === undefined)
        .map((p) => ({ id: p.id, dpop_required: p.dpop_required, api_key_hash: p.api_key_hash })) ?? null,
    tee: tee
      ? {
          tee: tee.tee,
          ...(tee.tee === 'none' ? { reason: tee.reason } : {}),
          ...(parts.teeAppraisal ? { appraisal: parts.teeAppraisal } : {}),
        }
      : null,
  };
}

/** The sealed process's attestation, asked over its transport; any failure is an error (a 503 above). */
function sealedAttestation(sealed: SealedRequester): AttestationSource {
  return {
    async attest(nonce: Buffer): Promise<AttestationAnswer> {
      const answer = await sealed.request({ type: 'attest', nonce: nonce.toString('hex') });
      if (answer.type !== 'attestation' || answer.status !== 'ok')
        throw new SealedTransportError(
          typeof answer.code === 'string' ? answer.code : 'E_SEALED_ERROR',
          typeof answer.message === 'string' ? answer.message : 'the sealed process gave no attestation',
        );
      const { type: _type, status: _status, ...rest } = answer;
      return rest as unknown as AttestationAnswer;
    },
  };
}

/**
 * GET /v1/attestation?nonce=<64 hex>: a report binding the output-signing key and the caller's nonce
 * (report_data = SHA-256 of the key's SPKI DER ‖ nonce), or `tee: none` with the reason (any key).
 */
function attestationRoute(
  app: ReturnType<typeof buildGateway>,
  ctx: GatewayContext,
  attestation: AttestationSource,
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
        return await attestation.attest(Buffer.from(nonce, 'hex'));
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
