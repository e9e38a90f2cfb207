// Whether this machine can run the real (netns) data hall, and if not, the plain reason why: the
// caller then falls back to the simulated hall and says so. Reads only; creates nothing.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { HOST_PATH } from './host_command.js';

export type NetnsAvailability = { ok: true } | { ok: false; reason: string };

/** CAP_NET_ADMIN (12): links, addresses, nftables. CAP_SYS_ADMIN (21): creating namespaces. */
const NEEDED_CAPABILITIES: readonly [bit: number, name: string][] = [
  [12, 'CAP_NET_ADMIN'],
  [21, 'CAP_SYS_ADMIN'],
];

/** Linux, root with the capabilities to create namespaces and filter traffic, and `ip` and `nft` installed. */
export function netnsAvailability(): NetnsAvailability {
  if (process.platform !== 'linux') {
    return { ok: false, reason: `network namespaces need Linux; this is ${process.platform}` };
  }
  const uid = process.getuid?.();
  if (uid !== 0)
    return { ok: false, reason: `not running as root (uid ${uid}); network namespaces need root` };
  const missing = missingCapabilities();
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `running as root without ${missing.join(' and ')} (a restricted container?)`,
    };
  }
  if (!runs('ip', ['-V'])) return { ok: false, reason: '`ip` (iproute2) is not installed' };
  if (!runs('nft', ['--version'])) return { ok: false, reason: '`nft` (nftables) is not installed' };
  return { ok: true };
}

function missingCapabilities(): string[] {
  let effective: bigint;
  try {
    const line = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (!line?.[1]) return [];
    effective = BigInt(`0x${line[1]}`);
  } catch {
    return []; // no /proc/self/status: let the first `ip` command say what is wrong
  }
  return NEEDED_CAPABILITIES.filter(([bit]) => ((effective >> BigInt(bit)) & 1n) === 0n).map(
    ([, name]) => name,
  );
}

function runs(file: string, args: string[]): boolean {
  const result = spawnSync(file, args, {
    stdio: 'ignore',
    timeout: 5_000,
    env: { PATH: HOST_PATH },
  });
  return result.error === undefined && result.status === 0;
}
