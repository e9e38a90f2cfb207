// The console's Before/After: runs the 03:14 scenario (src/demo/scenario_0314.ts, the same steps as
// `carapace demo`) against the data hall this gateway runs with, one run at a time, through the
// gateway's own routes (injected into the app, so every call is authenticated, decided and audited as
// over HTTP). The planned isolation waits for a person in the review queue. Watchers get each step and
// a live grid of the canaries' reachability; the hall is real or SIMULATED, and says which.

import { randomUUID } from 'node:crypto';
import {
  runScenario0314,
  type ScenarioApi,
  type ScenarioEvent,
  type ScenarioGate,
  type ScenarioSummary,
} from '../demo/scenario_0314.js';
import type { DataHall } from '../executors/netns/index.js';
import type { AuditReader } from './audit_reader.js';
import { GatewayError } from './gateway_error.js';

export interface DemoRun {
  id: string;
  gate: ScenarioGate;
  status: 'running' | 'done' | 'failed' | 'stopped';
  started_at: string;
  started_by: string;
  ended_at: string | null;
  events: ScenarioEvent[];
  /** The review the run waits on, while it waits. */
  waiting_review: string | null;
  summary: ScenarioSummary | null;
  error: string | null;
}

export interface CanaryGrid {
  simulated: boolean;
  interval_ms: number;
  /** One row per site whose canary probes the others: what it reached last. */
  observers: {
    site: string;
    round: number;
    last_round_at: string | null;
    results: { site: string; target: string; reachable: boolean; latency_ms: number; checked_at: string }[];
  }[];
}

export type DemoMessage =
  | { event: 'run'; data: DemoRun }
  | { event: 'step'; data: ScenarioEvent & { run: string } }
  | { event: 'canary'; data: CanaryGrid };

/** The assumed cost of an outage per minute, as `carapace demo` assumes it (not a measurement). */
export const DEMO_SLA_PER_MINUTE = 9000;

export class DemoRunner {
  private run: DemoRun | null = null;
  private running: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private readonly listeners = new Set<(message: DemoMessage) => void>();
  private gridTimer: NodeJS.Timeout | null = null;
  private lastGrid = '';
  private runs = 0;
  private closed = false;

  constructor(
    readonly hall: DataHall,
    private readonly api: ScenarioApi,
    private readonly reader: AuditReader,
  ) {}

  get current(): DemoRun | null {
    return this.run;
  }

  /** Starts a run with `adminKey` (the key of the admin who asked, held only while the run lasts). */
  async start(gate: ScenarioGate, adminKey: string, by: string): Promise<DemoRun> {
    if (this.closed) throw new GatewayError(503, 'E_CLOSING', 'the gateway is closing', 'no new run');
    if (this.running)
      throw new GatewayError(409, 'E_DEMO_RUNNING', 'a run is in progress', `run ${this.run?.id} is running`);
    const status = await this.hall.status();
    const run: DemoRun = {
      id: `run_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
      gate,
      status: 'running',
      started_at: new Date().toISOString(),
      started_by: by,
      ended_at: null,
      events: [],
      waiting_review: null,
      summary: null,
      error: null,
    };
    this.run = run;
    this.runs++;
    const abort = new AbortController();
    this.abort = abort;
    this.publish({ event: 'run', data: run });
    this.running = runScenario0314({
      hall: this.hall,
      api: this.api,
      adminKey,
      gate,
      probeIntervalMs: status.probe_interval_ms,
      slaPerMinute: DEMO_SLA_PER_MINUTE,
      nameSuffix: `-${this.runs}-${Date.now().toString(36)}`,
      signal: abort.signal,
      auditEntries: async (seqs) => {
        await this.reader.refresh();
        return this.reader.entries(seqs);
      },
      emit: (event) => {
        run.events.push(event);
        this.publish({ event: 'step', data: { ...event, run: run.id } });
      },
      awaitApproval: async (review) => {
        run.waiting_review = review.id;
        const event: ScenarioEvent = {
          type: 'event',
          step: 'review',
          at: new Date().toISOString(),
          text: `review ${review.id} is pending: an approver decides it in the review queue`,
          refs: { review: review.id },
        };
        run.events.push(event);
        this.publish({ event: 'step', data: { ...event, run: run.id } });
        this.publish({ event: 'run', data: run });
      },
    }).then(
      (summary) => this.finish(run, 'done', summary, null),
      (e: unknown) =>
        this.finish(run, abort.signal.aborted ? 'stopped' : 'failed', null, (e as Error).message),
    );
    return run;
  }

  private finish(
    run: DemoRun,
    status: DemoRun['status'],
    summary: ScenarioSummary | null,
    error: string | null,
  ) {
    run.status = status;
    run.summary = summary;
    run.error = error;
    run.waiting_review = null;
    run.ended_at = new Date().toISOString();
    this.running = null;
    this.abort = null;
    this.publish({ event: 'run', data: run });
  }

  /** Every site's canary, as it last probed the others. */
  async grid(): Promise<CanaryGrid> {
    const reports = await Promise.all(this.hall.topology.sites.map((s) => this.hall.canary(s.id)));
    return {
      simulated: this.hall.simulated,
      interval_ms: reports[0]?.interval_ms ?? 0,
      observers: reports.map((r) => ({
        site: r.site,
        round: r.round,
        last_round_at: r.last_round_at,
        results: r.results.map((c) => ({
          site: c.site,
          target: c.target,
          reachable: c.reachable,
          latency_ms: c.latency_ms,
          checked_at: c.checked_at,
        })),
      })),
    };
  }

  /** Listens to runs, steps and canary changes; the grid is polled only while someone listens. */
  subscribe(listener: (message: DemoMessage) => void): () => void {
    this.listeners.add(listener);
    this.gridTimer ??= setInterval(() => void this.pollGrid(), 250);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.gridTimer) {
        clearInterval(this.gridTimer);
        this.gridTimer = null;
        this.lastGrid = '';
      }
    };
  }

  private async pollGrid(): Promise<void> {
    const grid = await this.grid().catch(() => null);
    if (!grid) return;
    // Only a change in reachability is news; rounds and latencies move every probe.
    const shape = JSON.stringify(grid.observers.map((o) => o.results.map((r) => r.reachable)));
    if (shape === this.lastGrid) return;
    this.lastGrid = shape;
    this.publish({ event: 'canary', data: grid });
  }

  private publish(message: DemoMessage): void {
    for (const listener of [...this.listeners]) listener(message);
  }

  /** Stops a run in progress (the hall is healed on its way out) and the grid polling. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort?.abort(new Error('the gateway is closing'));
    await this.running;
    if (this.gridTimer) clearInterval(this.gridTimer);
    this.gridTimer = null;
    this.listeners.clear();
  }
}
