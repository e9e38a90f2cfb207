// Starts the gateway on a data directory: the SQLite store, the audit log, the token key, and the
// Fastify app; closes them in order on shutdown so the audit log is flushed and checkpointed.

import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { findKeyFiles, generateLogKey, openDataDirLog } from '../audit/log_files.js';
import { readSigningKey } from '../crypto/ed25519_key.js';
import { DEFAULT_ENGINE, type Engine } from '../engine/index.js';
import { createEchoExecutor } from '../executors/echo.js';
import type { Executor, TokenGate } from '../executors/executor.js';
import { ExecutorRegistry } from '../executors/registry.js';
import { openSqliteStore } from '../store/sqlite_store.js';
import { buildGateway } from './app.js';
import { lockDataDir } from './data_dir_lock.js';
import { generateApiKey, hashApiKey } from './auth.js';
import { TOOL_OUTPUT_CHANNEL } from './chunks.js';
import type { GatewayContext } from './context.js';
import { createGatewayLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { gatewayTokenGate } from './token_gate.js';
import { PolicyRuntime, pruneOldCounters } from './policy_stage.js';
import type { PolicyError } from '../policy/index.js';
import type { AdapterOptions } from '../adapters/index.js';

/** The policy file given at start does not compile: the gateway does not start without it. */
export class PolicyLoadError extends Error {
  readonly code = 'E_POLICY_COMPILE';
  constructor(
    readonly path: string,
    readonly errors: readonly PolicyError[],
  ) {
    const first = errors[0];
    const at =
      first?.line !== undefined
        ? ` (line ${first.line}${first.column !== undefined ? `, column ${first.column}` : ''})`
        : '';
    super(`${path}: ${first?.detail ?? 'does not compile'}${at}`);
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

export interface RunningGateway {
  url: string;
  ctx: GatewayContext;
  /** The dev admin's key, when `dev` created one (shown once). */
  devAdminKey: string | null;
  close(): Promise<void>;
}

export async function startGateway(options: {
  dataDir: string;
  port?: number;
  host?: string;
  dev?: boolean;
  now?: () => number;
  tokenTtlMs?: number;
  reviewTtlMs?: number;
  /** pino level; default CARAPACE_LOG_LEVEL, else 'info'. */
  logLevel?: string;
  /** Where the JSON log lines go; default stdout. */
  logStream?: DestinationStream;
  /**
   * The executors beside the built-in echo, each made with the gateway's token gate (so none can act
   * without a redeemed token). Default: none, and every tool is recorded by echo only.
   */
  executors?: (gate: TokenGate) => Executor[];
  /** The OCR executable for image ingest; default `tesseract` on PATH. */
  ocrCommand?: string;
  /**
   * A policy file (YAML, JSON or English) to enforce, reloaded when it changes. One that does not
   * compile at start stops the gateway from starting (E_POLICY_COMPILE); later, it is refused and the
   * policy in force stays.
   */
  policyFile?: string;
  /** Watch the policy file for changes (default true). */
  watchPolicy?: boolean;
  /** How long an executor may run (default 30 s); after that the action is recorded as failed. */
  executorTimeoutMs?: number;
  /** The ruleset and tool catalog; default the built-in ruleset with the demo data hall's catalog. */
  engine?: Engine;
  /** The OpenAI proxy and the MCP gateway, mounted when their options are given. */
  adapters?: AdapterOptions;
}): Promise<RunningGateway> {
  const lock = lockDataDir(options.dataDir);
  let store: Awaited<ReturnType<typeof openSqliteStore>>;
  let log: Awaited<ReturnType<typeof openDataDirLog>>['log'];
  try {
    store = await openSqliteStore(join(options.dataDir, 'carapace.db'));
    ({ log } = await openDataDirLog(options.dataDir));
  } catch (e) {
    lock.release();
    throw e;
  }
  const found = findKeyFiles(options.dataDir, TOKEN_KEY_NAME);
  const tokenKey = found
    ? readSigningKey(found.privatePath, TOKEN_KEY_NAME)
    : generateLogKey(options.dataDir, TOKEN_KEY_NAME).key;
  const now = options.now ?? Date.now;
  const policy = options.policyFile ? new PolicyRuntime(options.policyFile, log, now) : null;
  if (policy) {
    const first = await policy.reload().catch((e: Error) => ({
      outcome: 'refused' as const,
      errors: [
        { error: 'the audit log refused the policy', code: 'E_POLICY_COMPILE' as const, detail: e.message },
      ],
      in_force: null,
    }));
    if (first.outcome === 'refused') {
      await log.close().catch(() => {});
      await store.close().catch(() => {});
      lock.release();
      throw new PolicyLoadError(options.policyFile as string, first.errors);
    }
    if (options.watchPolicy !== false) policy.watch();
  }
  let gate: TokenGate = () => Promise.reject(new Error('the token gate is not ready'));
  const ctx: GatewayContext = {
    store,
    audit: log,
    engine: options.engine ?? DEFAULT_ENGINE,
    tokenKey,
    now,
    reviewTtlMs: options.reviewTtlMs ?? 15 * 60 * 1000,
    tokenTtlMs: options.tokenTtlMs ?? 5000,
    metrics: new Metrics(),
    executors: new ExecutorRegistry(createEchoExecutor((token, call) => gate(token, call), now)),
    gate: (token, call) => gate(token, call),
    policy,
    ...(options.adapters !== undefined ? { adapters: options.adapters } : {}),
    ...(options.executorTimeoutMs !== undefined ? { executorTimeoutMs: options.executorTimeoutMs } : {}),
    ...(options.ocrCommand !== undefined ? { ocrCommand: options.ocrCommand } : {}),
  };
  gate = gatewayTokenGate(ctx);
  for (const executor of options.executors?.(ctx.gate) ?? []) ctx.executors.add(executor);

  // Tool outputs enter through their own channel, which always exists.
  if (!(await store.getChannel(TOOL_OUTPUT_CHANNEL.name)))
    await store.createChannel({
      ...TOOL_OUTPUT_CHANNEL,
      created_by: 'carapace',
      created_at: new Date(now()).toISOString(),
    });

  let devAdminKey: string | null = null;
  if (options.dev) {
    // The demo data hall's ingestion channels, each with its fixed trust level.
    for (const [name, trust] of DEMO_CHANNELS)
      if (!(await store.getChannel(name)))
        await store.createChannel({
          name,
          trust,
          created_by: 'carapace serve --dev',
          created_at: new Date(now()).toISOString(),
        });
    devAdminKey = generateApiKey();
    const name = `dev-admin-${Date.now().toString(36)}`;
    await store.createPrincipal({
      id: `admin:${name}`,
      name,
      role: 'admin',
      api_key_hash: hashApiKey(devAdminKey),
      created_at: new Date(now()).toISOString(),
    });
    await log.append('admin.principal_created', {
      by: 'carapace serve --dev',
      principal: `admin:${name}`,
      role: 'admin',
    });
  }

  const logger = createGatewayLogger({
    ...(options.logLevel !== undefined ? { level: options.logLevel } : {}),
    ...(options.logStream !== undefined ? { stream: options.logStream } : {}),
  });
  const app = buildGateway(ctx, { logger });
  // Counter buckets older than any window of the policy are dropped now and then.
  const pruner = policy
    ? setInterval(() => {
        if (policy.current) pruneOldCounters(store, policy.current, now()).catch(() => {});
      }, 60_000).unref()
    : null;
  let address: string;
  try {
    address = await app.listen({ port: options.port ?? 8787, host: options.host ?? '127.0.0.1' });
  } catch (e) {
    // A port in use (or any failure to listen): leave the data directory as it was found, unlocked.
    if (pruner) clearInterval(pruner);
    await policy?.close();
    await app.close().catch(() => {});
    await log.close().catch(() => {});
    await store.close().catch(() => {});
    lock.release();
    throw e;
  }
  return {
    url: address,
    ctx,
    devAdminKey,
    async close() {
      if (pruner) clearInterval(pruner);
      await policy?.close();
      await app.close();
      await log.close();
      await store.close();
      lock.release();
    },
  };
}
