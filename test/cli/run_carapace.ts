// Runs the built `carapace` command (bin/carapace.js) as a user would, for the CLI tests.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/carapace.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
/** `env` is laid over the test's environment; a variable set to undefined is removed. */
export function carapace(args: string[], input = '', env?: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const childEnv = { ...process.env, ...env };
    for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {}); // the CLI may stop reading an oversized input early
    child.stdin.end(input);
  });
}
export const json = (run: Run) => JSON.parse(run.stdout) as Record<string, unknown>;
