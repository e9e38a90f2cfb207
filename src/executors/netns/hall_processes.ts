// Finds and stops the hall's processes, also when the process that started them is gone: every
// process inside one of the prefix's namespaces (`ip netns pids`), and every process whose environment
// carries CARAPACE_HALL_PREFIX=<prefix> (the hall sets it on each one it starts), in case a namespace
// was already deleted under a running process.

import { readdirSync, readFileSync } from 'node:fs';
import { hostCommand } from './host_command.js';

export const PREFIX_ENV = 'CARAPACE_HALL_PREFIX';

/** The ids of the hall's processes, never this process's own. */
export async function findHallProcesses(prefix: string, namespaces: readonly string[]): Promise<number[]> {
  const pids = new Set<number>();
  for (const ns of namespaces) {
    try {
      const out = await hostCommand('ip', ['netns', 'pids', ns]);
      for (const word of out.split(/\s+/)) if (/^\d+$/.test(word)) pids.add(Number(word));
    } catch {
      // the namespace vanished meanwhile: the environment scan below still finds its processes
    }
  }
  for (const pid of processesWithEnv(`${PREFIX_ENV}=${prefix}`)) pids.add(pid);
  pids.delete(process.pid);
  return [...pids].filter(isAlive).sort((a, b) => a - b);
}

/** SIGTERM, then SIGKILL after `graceMs` for any that remain; resolves once all are gone (or after 5 s more). */
export async function stopProcesses(pids: readonly number[], graceMs = 2000): Promise<number[]> {
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  if (!(await allGone(pids, graceMs))) {
    signal('SIGKILL');
    if (!(await allGone(pids, 5000))) {
      throw new Error(`processes ${pids.filter(isAlive).join(', ')} are still running after SIGKILL`);
    }
  }
  return [...pids];
}

async function allGone(pids: readonly number[], withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (!pids.some(isAlive)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A zombie counts as gone: it no longer runs, only waits for its parent to collect its status. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function processesWithEnv(entry: string): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue; // gone, or not ours to read
    }
    if (environ.split('\0').includes(entry)) found.push(Number(name));
  }
  return found;
}
