// Input and output for CLI commands: bounded reads, JSON parsing that fails as a value, and the
// {error, code, detail} shape on stdout with exit code 2 for anything the CLI cannot take.

import { readFileSync } from 'node:fs';

export const MAX_INPUT_BYTES = 1024 * 1024;

export interface CliError {
  error: string;
  code: string;
  detail: string;
}

export class CliFailure extends Error {
  constructor(readonly body: CliError) {
    super(body.error);
    this.name = 'CliFailure';
  }
}

export function failure(code: string, error: string, detail: string): CliFailure {
  return new CliFailure({ error, code, detail });
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_INPUT_BYTES)
      throw failure(
        'E_INPUT_TOO_LARGE',
        'input too large',
        `standard input exceeds ${MAX_INPUT_BYTES} bytes`,
      );
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function readTextFile(path: string, maxBytes = MAX_INPUT_BYTES): string {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw failure(
      'E_FILE_UNREADABLE',
      'cannot read file',
      `${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  if (buf.length > maxBytes)
    throw failure('E_INPUT_TOO_LARGE', 'input too large', `${path} exceeds ${maxBytes} bytes`);
  return buf.toString('utf8');
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw failure('E_JSON_PARSE', `${what} is not valid JSON`, (e as Error).message);
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Runs a command; a CliFailure prints its body and exits 2, anything else is reported the same way. */
export async function runCommand(
  body: () => Promise<number | undefined> | number | undefined,
): Promise<void> {
  try {
    process.exitCode = (await body()) ?? 0;
  } catch (e) {
    const err =
      e instanceof CliFailure
        ? e.body
        : hasErrorBody(e)
          ? e.body
          : { error: 'internal error', code: 'E_INTERNAL', detail: (e as Error).message };
    printJson(err);
    process.exitCode = 2;
  }
}

/** Errors that already carry the {error, code, detail} shape (the gateway's, for one) are shown as they are. */
function hasErrorBody(e: unknown): e is { body: CliError } {
  const body = (e as { body?: Partial<CliError> } | null)?.body;
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof body.error === 'string' &&
    typeof body.code === 'string' &&
    typeof body.detail === 'string'
  );
}
