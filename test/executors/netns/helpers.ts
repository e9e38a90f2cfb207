// Shared material for the data hall tests: whether the real hall can run here (skip, or fail under
// CARAPACE_REQUIRE_NETNS=1), a real token gate (tokens minted and redeemed by src/tokens, single use,
// with the in-memory ledger of test/tokens), and small probes of the host (namespaces, rules, processes).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ActionCall, TokenGate } from '../../../src/executors/executor.js';
import { netnsAvailability } from '../../../src/executors/netns/index.js';
import { AGENT, mintFor, realTokenGate } from '../token_gate.js';

/**
 * `false` when the real hall can run; otherwise the reason to skip. With CARAPACE_REQUIRE_NETNS=1 an
 * unavailable hall is a failing test instead (the suite is still skipped, with the same reason).
 */
export function netnsSkip(): string | false {
  const availability = netnsAvailability();
  if (availability.ok) return false;
  const reason = `the netns data hall needs Linux, root, ip and nft: ${availability.reason}`;
  if (process.env.CARAPACE_REQUIRE_NETNS === '1') {
    test('network namespaces are available (CARAPACE_REQUIRE_NETNS=1)', () => assert.fail(reason));
  }
  return reason;
}

export { AGENT };

/** A token gate backed by the real token functions; `calls` counts every time it is asked. */
export function ledgerGate(): {
  gate: TokenGate;
  mint: (call: ActionCall) => Promise<string>;
  calls: ActionCall[];
} {
  const calls: ActionCall[] = [];
  const gate = realTokenGate({ onCall: (call) => calls.push(call) });
  return { gate, mint: async (call) => (await mintFor(call)).token, calls };
}

export function call(tool: string, args: Record<string, unknown>): ActionCall {
  return { agentId: AGENT, tool, args };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function namespacesWithPrefix(prefix: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`${prefix}-`));
}

/** `nft list ruleset` inside a namespace, as text. */
export function rulesetIn(namespace: string): string {
  return execFileSync('ip', ['netns', 'exec', namespace, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });
}

/** The root namespace's interface names: the hall must never add one. */
export function rootLinks(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(':')[1]?.trim() ?? '')
    .sort();
}

/** Processes (other than this one) whose environment carries CARAPACE_HALL_PREFIX=<prefix>. */
export function processesOf(prefix: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (env.includes(`CARAPACE_HALL_PREFIX=${prefix}`) && state !== 'Z') found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
