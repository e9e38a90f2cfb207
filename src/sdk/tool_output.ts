// A guarded function's call, in both modes: bounded in time, and a streamed result read to its end.
// What becomes of the result (JSON, output rules, redaction, a chunk) is the gateway's recordOutcome.

import { describeFailure } from '../gateway/inspection.js';
import { DEFAULT_EXECUTOR_TIMEOUT_MS } from '../gateway/token_gate.js';
import { CarapaceError } from './errors.js';

/** How long a guarded function may run when its tool says nothing else: the gateway's executor default. */
export const DEFAULT_TOOL_TIMEOUT_MS = DEFAULT_EXECUTOR_TIMEOUT_MS;

/** How a call of the guarded function ended, before any inspection. */
export type ToolRun = { ok: true; output: unknown } | { ok: false; error: unknown; timedOut: boolean };

/**
 * Calls `run` and waits for its result, reading an async iterable (a streaming tool) to its last value.
 * A call still running after `timeoutMs` is reported as timed out; it cannot be stopped from here.
 */
export async function runToolFunction(run: () => unknown, timeoutMs: number): Promise<ToolRun> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ToolRun>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, error: new Error(`did not finish within ${timeoutMs} ms`), timedOut: true }),
      timeoutMs,
    );
  });
  const call = (async (): Promise<ToolRun> => {
    try {
      let output = await run();
      if (isAsyncIterable(output)) {
        let last: unknown = undefined;
        for await (const value of output) last = value;
        output = last;
      }
      return { ok: true, output };
    } catch (error) {
      return { ok: false, error, timedOut: false };
    }
  })();
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

/** The code and reason a failed run is recorded with, and the error its caller gets for a timeout. */
export function failedRun(
  tool: string,
  ran: { error: unknown; timedOut: boolean },
  timeoutMs: number,
): { failure: { code: string; reason: string }; thrown: unknown } {
  if (!ran.timedOut) return { failure: describeFailure(ran.error, 'E_TOOL_FAILED'), thrown: ran.error };
  return {
    failure: { code: 'E_TOOL_TIMEOUT', reason: `the tool did not finish within ${timeoutMs} ms` },
    thrown: new CarapaceError(
      'E_TOOL_TIMEOUT',
      `${tool} did not finish within ${timeoutMs} ms; its effect is unknown`,
      'the call is recorded as failed; it may still be running',
      true,
    ),
  };
}

/** Calls in flight, so that closing waits for them and refuses new ones. */
export class InFlightCalls {
  private closed = false;
  private readonly calls = new Set<Promise<unknown>>();

  constructor(private readonly closedMessage: string) {}

  get isClosed(): boolean {
    return this.closed;
  }

  track<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new CarapaceError('E_GATEWAY_CLOSED', this.closedMessage));
    const p = work();
    this.calls.add(p);
    const done = () => this.calls.delete(p);
    p.then(done, done);
    return p;
  }

  /** Refuses new calls and waits for those in flight. False when it was already closed. */
  async close(): Promise<boolean> {
    if (this.closed) return false;
    this.closed = true;
    await Promise.allSettled([...this.calls]);
    return true;
  }
}
