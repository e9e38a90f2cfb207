// Tool pinning: the hash of each upstream tool's definition (description, schemas, annotations) is
// kept at first sight, durably, in <data>/mcp/tool-pins.json, so an upstream server cannot change
// what a tool says it does without an admin accepting the change. The store has no table for pins; the
// file is written whole (temporary file, fsync, rename, fsync of the directory) by the one gateway
// process that holds the data directory's lock.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isPlainObject, sha256Canonical, toCanonicalJson } from '../../engine/index.js';

/** What the agent is shown of a tool, and therefore what is pinned. */
export interface PinnedDefinition {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

export interface ToolPin {
  server: string;
  tool: string;
  /** The accepted definition's hash; null while a tool held at first sight awaits an admin. */
  hash: string | null;
  definition: PinnedDefinition | null;
  /** When, and by whom (`first-sight` or an admin's principal id), the accepted hash was set. */
  pinned_at: string | null;
  pinned_by: string | null;
  /** A definition seen since that differs from the accepted one: refused until accepted. */
  pending: { hash: string; definition: PinnedDefinition; first_seen_at: string } | null;
}

export class ToolPinError extends Error {
  constructor(
    readonly code: 'E_MCP_PINS_CORRUPT' | 'E_MCP_PIN_NOT_FOUND' | 'E_MCP_PIN_HASH_MISMATCH',
    message: string,
  ) {
    super(message);
    this.name = 'ToolPinError';
  }
}

/** A definition larger than this (canonical JSON characters) is refused rather than pinned. */
export const MAX_DEFINITION_CHARS = 256 * 1024;

/** The pinned part of an upstream tool, or a reason it cannot be pinned. */
export function pinnedDefinition(
  tool: Record<string, unknown>,
): { ok: true; definition: PinnedDefinition; hash: string } | { ok: false; reason: string } {
  const definition: Record<string, unknown> = { name: tool.name, inputSchema: tool.inputSchema };
  for (const key of ['title', 'description', 'outputSchema', 'annotations'] as const)
    if (tool[key] !== undefined) definition[key] = tool[key];
  const canonical = toCanonicalJson(definition, 64, MAX_DEFINITION_CHARS);
  if (!canonical.ok) return { ok: false, reason: `the definition cannot be pinned: ${canonical.reason}` };
  return {
    ok: true,
    definition: definition as unknown as PinnedDefinition,
    hash: sha256Canonical(definition),
  };
}

/** How a definition seen now stands against its pin. */
export type PinStatus =
  /** Equal to the accepted definition: usable. */
  | { state: 'accepted'; pin: ToolPin; event: null | 'pinned' }
  /** Different from the accepted one (or held at first sight): refused until an admin accepts it. */
  | { state: 'changed' | 'held'; pin: ToolPin; event: null | 'changed' | 'held' };

export class ToolPinStore {
  private readonly pins = new Map<string, ToolPin>();
  /** Every change is made one at a time, each awaited to disk before the next. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly file: string) {}

  static pinsFile(dataDir: string): string {
    return join(dataDir, 'mcp', 'tool-pins.json');
  }

  /** Reads the pins; a missing file is an empty store, a corrupt one an error (nothing is re-pinned). */
  static open(file: string): ToolPinStore {
    const store = new ToolPinStore(file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw new ToolPinError(
        'E_MCP_PINS_CORRUPT',
        `${file}: cannot read (${(e as NodeJS.ErrnoException).code})`,
      );
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new ToolPinError('E_MCP_PINS_CORRUPT', `${file} is not JSON`);
    }
    if (!isPlainObject(doc) || doc.version !== 1 || !Array.isArray(doc.pins))
      throw new ToolPinError('E_MCP_PINS_CORRUPT', `${file} is not a version 1 pin file`);
    for (const [i, p] of doc.pins.entries()) {
      if (!isToolPin(p)) throw new ToolPinError('E_MCP_PINS_CORRUPT', `${file}: pins[${i}] is malformed`);
      store.pins.set(key(p.server, p.tool), p);
    }
    return store;
  }

  get(server: string, tool: string): ToolPin | undefined {
    return this.pins.get(key(server, tool));
  }

  list(): ToolPin[] {
    return [...this.pins.values()].sort((a, b) => key(a.server, a.tool).localeCompare(key(b.server, b.tool)));
  }

  /**
   * Compares a definition seen now with its pin, pinning it at first sight (`firstSight: 'pin'`) or
   * holding it for an admin (`'hold'`), and recording a new differing definition as pending. When the
   * pins change, `record(event)` runs first (the audit entry) and the file is written after it: an
   * effect never precedes its record.
   */
  observe(
    server: string,
    tool: string,
    seen: { definition: PinnedDefinition; hash: string },
    now: string,
    firstSight: 'pin' | 'hold',
    record: (event: 'pinned' | 'changed' | 'held', pin: ToolPin) => Promise<unknown>,
  ): Promise<PinStatus> {
    return this.serially(async () => {
      const current = this.pins.get(key(server, tool));
      if (current?.hash === seen.hash) return { state: 'accepted', pin: current, event: null };
      if (current?.pending?.hash === seen.hash)
        return { state: current.hash === null ? 'held' : 'changed', pin: current, event: null };
      let next: ToolPin;
      let event: 'pinned' | 'changed' | 'held';
      if (!current && firstSight === 'pin') {
        next = {
          server,
          tool,
          hash: seen.hash,
          definition: seen.definition,
          pinned_at: now,
          pinned_by: 'first-sight',
          pending: null,
        };
        event = 'pinned';
      } else {
        const base = current ?? {
          server,
          tool,
          hash: null,
          definition: null,
          pinned_at: null,
          pinned_by: null,
          pending: null,
        };
        next = { ...base, pending: { hash: seen.hash, definition: seen.definition, first_seen_at: now } };
        event = base.hash === null ? 'held' : 'changed';
      }
      await record(event, next);
      this.write(new Map(this.pins).set(key(server, tool), next));
      return event === 'pinned'
        ? { state: 'accepted', pin: next, event }
        : { state: event, pin: next, event };
    });
  }

  /**
   * Makes the pending definition of a tool its accepted one. `hash` must be the pending hash, so an
   * admin accepts exactly the definition they looked at, never one that changed again since.
   */
  accept(
    server: string,
    tool: string,
    hash: string,
    by: string,
    now: string,
    record: (previous: ToolPin, next: ToolPin) => Promise<unknown>,
  ): Promise<ToolPin> {
    return this.serially(async () => {
      const current = this.pins.get(key(server, tool));
      if (!current?.pending)
        throw new ToolPinError(
          'E_MCP_PIN_NOT_FOUND',
          `${server}/${tool} has no definition awaiting acceptance`,
        );
      if (current.pending.hash !== hash)
        throw new ToolPinError(
          'E_MCP_PIN_HASH_MISMATCH',
          `${server}/${tool} awaits ${current.pending.hash}, not ${hash}`,
        );
      const next: ToolPin = {
        ...current,
        hash,
        definition: current.pending.definition,
        pinned_at: now,
        pinned_by: by,
        pending: null,
      };
      await record(current, next);
      this.write(new Map(this.pins).set(key(server, tool), next));
      return next;
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Writes the whole file durably, then takes the new state; on failure the old state stays. */
  private write(next: Map<string, ToolPin>): void {
    const pins = [...next.values()].sort((a, b) =>
      key(a.server, a.tool).localeCompare(key(b.server, b.tool)),
    );
    const dir = dirname(this.file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: 1, pins }, null, 2)}\n`, { mode: 0o600 });
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    this.pins.clear();
    for (const [k, v] of next) this.pins.set(k, v);
  }
}

const key = (server: string, tool: string) => `${server}/${tool}`;

function isToolPin(p: unknown): p is ToolPin {
  if (!isPlainObject(p)) return false;
  const str = (v: unknown) => typeof v === 'string';
  const strOrNull = (v: unknown) => v === null || typeof v === 'string';
  const pending = p.pending;
  return (
    str(p.server) &&
    str(p.tool) &&
    strOrNull(p.hash) &&
    (p.definition === null || isPlainObject(p.definition)) &&
    strOrNull(p.pinned_at) &&
    strOrNull(p.pinned_by) &&
    (pending === null ||
      (isPlainObject(pending) &&
        str(pending.hash) &&
        isPlainObject(pending.definition) &&
        str(pending.first_seen_at)))
  );
}
