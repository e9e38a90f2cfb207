// The hall's options, checked once, and the names they imply: every namespace is `<prefix>-<site>` or
// `<prefix>-core`, every file lives in the run directory. A fresh process given the same prefix finds
// everything an earlier one created, which is what makes teardown after a crash possible.

import { isAbsolute, join, resolve } from 'node:path';
import type { TopologyEntity } from '../../engine/index.js';
import { HallError } from './errors.js';
import { type HallTopology, hallTopology } from './topology.js';

export const DEFAULT_PREFIX = 'cphall';
export const DEFAULT_SUBNET = '10.231.0.0/24';
export const DEFAULT_PROBE_INTERVAL_MS = 1000;
export const DEFAULT_RUN_ROOT = '/run/carapace-hall';

export interface HallOptions {
  /** Everything the hall creates is named `<prefix>-…`: 1 to 12 of [a-z0-9], starting with a letter. */
  prefix?: string;
  /** An IPv4 /24 written a.b.c.0/24 (default 10.231.0.0/24). Addresses live only inside the hall. */
  subnet?: string;
  /** Default: $CARAPACE_HALL_DIR/<prefix>, else /run/carapace-hall/<prefix>. */
  runDir?: string;
  /** How often each site's canary probes the other sites, 50 to 60000 ms (default 1000). */
  probeIntervalMs?: number;
  /** The catalog entities the hall is laid out from (default: the demo catalog's). */
  entities?: Iterable<TopologyEntity>;
}

export interface HallConfig {
  prefix: string;
  subnet: string;
  runDir: string;
  /** /run/carapace-hall when the run directory was defaulted there: teardown removes it once empty. */
  defaultRunRoot: string | null;
  probeIntervalMs: number;
  /** A probe that has no answer after this long counts as unreachable. */
  probeTimeoutMs: number;
  topology: HallTopology;
}

const PREFIX = /^[a-z][a-z0-9]{0,11}$/;
/** Unix socket paths are limited to 108 bytes; the run directory leaves room for `/<site>.sock`. */
const MAX_RUN_DIR_CHARS = 90;

/** Throws E_HALL_CONFIG naming the first invalid option. */
export function resolveHallConfig(options: HallOptions = {}): HallConfig {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new HallError(
      'E_HALL_CONFIG',
      `prefix ${JSON.stringify(prefix)} must be 1 to 12 of [a-z0-9] starting with a letter (no '-', so ` +
        `one hall's names never match another's prefix)`,
    );
  }
  const interval = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  if (!Number.isInteger(interval) || interval < 50 || interval > 60_000) {
    throw new HallError(
      'E_HALL_CONFIG',
      `probeIntervalMs must be an integer from 50 to 60000, got ${interval}`,
    );
  }
  const runDir = resolve(options.runDir ?? join(process.env.CARAPACE_HALL_DIR ?? DEFAULT_RUN_ROOT, prefix));
  if (!isAbsolute(runDir) || runDir.length > MAX_RUN_DIR_CHARS) {
    throw new HallError(
      'E_HALL_CONFIG',
      `run directory ${runDir} is longer than ${MAX_RUN_DIR_CHARS} characters`,
    );
  }
  const subnet = options.subnet ?? DEFAULT_SUBNET;
  const topology = hallTopology(subnet, options.entities);
  if (topology.sites.some((s) => s.id === 'core')) {
    throw new HallError('E_HALL_CONFIG', 'a site may not be named "core": that is the bridge namespace');
  }
  return {
    prefix,
    subnet,
    runDir,
    defaultRunRoot:
      options.runDir === undefined && process.env.CARAPACE_HALL_DIR === undefined ? DEFAULT_RUN_ROOT : null,
    probeIntervalMs: interval,
    probeTimeoutMs: Math.min(1000, Math.max(250, interval)),
    topology,
  };
}

export function siteNamespace(config: HallConfig, site: string): string {
  return `${config.prefix}-${site}`;
}
/** The namespace holding the bridges, so the root namespace is never modified. */
export function coreNamespace(config: HallConfig): string {
  return `${config.prefix}-core`;
}
/** True for every namespace name this prefix owns (also those of an earlier layout). */
export function ownsNamespace(prefix: string, name: string): boolean {
  return name.startsWith(`${prefix}-`);
}

/** The files a hall keeps in its run directory; teardown removes exactly these. */
export function hallFiles(config: HallConfig) {
  const dir = config.runDir;
  return {
    state: join(dir, 'hall.json'),
    journal: join(dir, 'effects.jsonl'),
    socket: (site: string) => join(dir, `${site}.sock`),
    log: (site: string) => join(dir, `${site}.log`),
  };
}
