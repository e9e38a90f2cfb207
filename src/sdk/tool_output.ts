// What happens between a guarded function returning and its caller seeing the result, in both modes:
// the call is bounded in time, a streamed result is read to its end, the result becomes JSON (what a
// model is shown anyway), and secrets and PII leave it through the gateway's own redaction.

import { redactOutput, redactTypes } from '../gateway/inspection.js';
import type { JsonValue } from '../inspect/json_scan.js';
import { PII_TYPES } from '../inspect/pii/index.js';
import { CarapaceError } from './errors.js';

/** The most JSON text a tool's output may make; a larger one is not inspected, so not returned. */
export const MAX_OUTPUT_CHARS = 8 * 1024 * 1024;

/** How long a guarded function may run when its tool says nothing else: the gateway's executor default. */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;

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

/**
 * The output as JSON, the way a model would be shown it: `undefined` is null, a Date its ISO text, a
 * class instance its enumerable fields. A cycle, a BigInt or an output over MAX_OUTPUT_CHARS is refused.
 */
export function outputAsJson(output: unknown): JsonValue {
  let text: string | undefined;
  try {
    text = JSON.stringify(output);
  } catch (e) {
    throw new CarapaceError(
      'E_OUTPUT_NOT_JSON',
      'the tool ran, but its output cannot be inspected: it is not JSON',
      (e as Error).message,
      true,
    );
  }
  if (text === undefined) return null;
  if (text.length > MAX_OUTPUT_CHARS)
    throw new CarapaceError(
      'E_OUTPUT_NOT_JSON',
      'the tool ran, but its output is too large to inspect',
      `its JSON is longer than ${MAX_OUTPUT_CHARS} characters`,
      true,
    );
  return JSON.parse(text) as JsonValue;
}

export interface RedactedOutput {
  value: JsonValue;
  /** Kinds found and replaced, never the values. */
  secrets: string[];
  pii: string[];
}

/** The gateway's default output redaction (secrets; validated PII), then the extra types `more` names. */
export function redactToolOutput(output: JsonValue, more: readonly string[]): RedactedOutput {
  const redacted = redactOutput(output);
  if (more.length > 0) {
    const extra = redactTypes(redacted.value, more);
    const isPii = (t: string) => (PII_TYPES as readonly string[]).includes(t);
    redacted.value = extra.value;
    redacted.pii = unique([...redacted.pii, ...extra.found.filter(isPii)]);
    redacted.secrets = unique([...redacted.secrets, ...extra.found.filter((t) => !isPii(t))]);
  }
  return redacted;
}

const unique = (values: string[]) => [...new Set(values)].sort();

/** A thrown value as text safe to record: its message with credentials and validated PII replaced. */
export function describeFailure(error: unknown): { code: string; reason: string } {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const reason = redactOutput(message.slice(0, 2048)).value as string;
  return {
    code: typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'E_TOOL_FAILED',
    reason,
  };
}
