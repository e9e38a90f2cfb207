// A guarded function's call, in both modes: bounded in time, and a streamed result read to its end.
// What becomes of the result (JSON, output rules, redaction, a chunk) is the gateway's recordOutcome.

import { DEFAULT_EXECUTOR_TIMEOUT_MS } from '../gateway/token_gate.js';

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
