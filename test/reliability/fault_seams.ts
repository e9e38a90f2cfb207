// Fault injection for the reliability tests: a store and an audit store that fail on command and
// recover when the fault clears, the store engines the suites run on, and a gateway started with them.
// Each engine is a parameter so the PostgreSQL engine joins the same suites once it exists.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { segmentsDir } from '../../src/audit/log_files.js';
import { SegmentStore } from '../../src/audit/segment_store.js';
import type { AuditStore } from '../../src/audit/store.js';
import type { Executor, TokenGate } from '../../src/executors/executor.js';
import type { Inspectors } from '../../src/gateway/context.js';
import { type RunningGateway, startGateway } from '../../src/gateway/serve.js';
import { openPgStore } from '../../src/store/pg_store.js';
import { openSqliteStore } from '../../src/store/sqlite_store.js';
import type { Store } from '../../src/store/store.js';
import { StoreError } from '../../src/store/store_error.js';
import { freshSchema, PG_URL } from '../store/pg_helpers.js';

/** A switch a test flips to start and stop a fault. */
export interface Fault {
  on: boolean;
}

/** A store engine the suites run on: how to open one for a data directory. */
export interface StoreEngine {
  name: string;
  open(dataDir: string): Promise<Store>;
  /** Needs the machine's PostgreSQL (a suite skips it, with pgSkip's reason, when unreachable). */
  postgres?: true;
}

/** The engines the suites run on: SQLite, and PostgreSQL in a fresh schema per test (dropped after). */
export const STORE_ENGINES: StoreEngine[] = [
  { name: 'sqlite', open: (dataDir) => openSqliteStore(join(dataDir, 'carapace.db')) },
  {
    name: 'postgres',
    postgres: true,
    open: () => openPgStore({ url: PG_URL, schema: freshSchema('faults'), listen: false }),
  },
];

/**
 * `store` with every call failing while `fault.on`, as a database that stopped does (for PostgreSQL a
 * stopped server gives the same answer: the operation fails, nothing is written).
 */
export function stoppableStore(
  store: Store,
  fault: Fault,
  error: () => Error = () =>
    new StoreError('E_STORE_UNAVAILABLE', 'the database is not answering', 'fault injected'),
): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'close') return value;
      return (...args: unknown[]) => {
        if (fault.on) return Promise.reject(error());
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The data directory's segment store, whose appends fail with EIO while `fault.on` (nothing written). */
export function failingAuditStore(dataDir: string, fault: Fault): AuditStore {
  const inner = new SegmentStore(segmentsDir(dataDir));
  return {
    open: (onEntry) => inner.open(onEntry),
    close: () => inner.close(),
    append: (entries) =>
      fault.on
        ? Promise.reject(Object.assign(new Error('EIO: i/o error, write (fault injected)'), { code: 'EIO' }))
        : inner.append(entries),
  };
}

export function tempDir(prefix = 'carapace-faults-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface FaultGateway {
  gateway: RunningGateway;
  adminKey: string;
  call(
    path: string,
    key: string | null,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A dev gateway on an ephemeral port with the given seams. */
export async function startFaultGateway(options: {
  dataDir: string;
  store?: Store;
  /** A store URL as `serve --store` takes it (postgres://…: the store and the audit log in PostgreSQL). */
  storeUrl?: string;
  auditStore?: AuditStore;
  inspectors?: Inspectors;
  executors?: (gate: TokenGate) => Executor[];
  executorTimeoutMs?: number;
}): Promise<FaultGateway> {
  const { store, storeUrl, ...rest } = options;
  const gateway = await startGateway({
    ...rest,
    ...(store ? { openedStore: store } : {}),
    ...(storeUrl ? { store: storeUrl } : {}),
    port: 0,
    dev: true,
    logLevel: 'silent',
    watchPolicy: false,
  });
  return {
    gateway,
    adminKey: gateway.devAdminKey as string,
    async call(path, key, body) {
      const response = await fetch(`${gateway.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    close: () => gateway.close(),
  };
}

/** The telemetry an operator-console agent ingests before it may migrate a VM (rule R7 allows it). */
export const TELEMETRY = 'node-sj-01-02 cpu 97% for 20 min; vm-02 latency p99 840 ms';
export const MIGRATE = { vm_id: 'vm-02', target_node: 'node-sj-01-03' };

/** Creates an agent on the trusted operator-console channel and ingests the telemetry into `session`. */
export async function agentWithTelemetry(
  g: FaultGateway,
  name: string,
  session: string,
): Promise<{ key: string; envelope: Record<string, unknown> }> {
  const created = await g.call('/v1/admin/principals', g.adminKey, {
    name,
    role: 'agent',
    channel: 'operator-console',
  });
  if (created.status !== 201) throw new Error(`cannot create ${name}: ${JSON.stringify(created.body)}`);
  const key = created.body.api_key as string;
  const chunk = await g.call('/v1/ingest', key, { content: TELEMETRY, session });
  if (chunk.status !== 201 && chunk.status !== 200)
    throw new Error(`cannot ingest: ${JSON.stringify(chunk.body)}`);
  return {
    key,
    envelope: {
      intent: 'remediate_reversible',
      tool: 'migrate_vm',
      args: MIGRATE,
      source_signals: [chunk.body.id as string],
      session,
    },
  };
}
