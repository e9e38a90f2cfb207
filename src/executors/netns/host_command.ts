// Runs one host command (`ip`, `nft`, `ip netns exec … node`) with an optional script on stdin and a
// time limit, and turns any failure into a HallError that quotes the command and its stderr.

import { spawn } from 'node:child_process';
import { HallError } from './errors.js';

export interface HostCommandOptions {
  /** Written to the command's stdin (an `ip -batch -` or `nft -f -` script). */
  input?: string;
  /** Default 10 s; the command is killed after it. */
  timeoutMs?: number;
  /** The environment; default: PATH only, so nothing of the caller's leaks into the hall. */
  env?: Record<string, string>;
}

/** PATH for host commands: the caller's, with the sbin directories where `ip` and `nft` live appended. */
export const HOST_PATH = [
  ...new Set([
    ...(process.env.PATH ?? '').split(':').filter(Boolean),
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ]),
].join(':');

/** Resolves with stdout when the command exits 0; rejects with E_HALL_COMMAND otherwise. */
export function hostCommand(
  file: string,
  args: readonly string[],
  options: HostCommandOptions = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const shown = displayCommand(file, args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ?? { PATH: HOST_PATH },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new HallError('E_HALL_COMMAND', `${shown}: cannot run: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout);
      const why = timedOut ? `timed out after ${timeoutMs} ms` : `exited ${code ?? signal}`;
      const detail = stderr.trim().split('\n').slice(0, 6).join(' | ');
      reject(new HallError('E_HALL_COMMAND', `${shown}: ${why}${detail ? `: ${detail}` : ''}`));
    });
    child.stdin.on('error', () => {}); // a command that exits early reports through its exit code
    child.stdin.end(options.input ?? '');
  });
}

/** The command as a person would type it, with long inline programs elided. */
function displayCommand(file: string, args: readonly string[]): string {
  return [file, ...args.map((a) => (a.length > 80 ? '<program>' : a))].join(' ');
}
