// Effective provenance of a proposed action: where its justification came in, never what the agent
// claims. Min trust and OR of injection flags over the cited chunks and, in session mode, over every
// chunk the session has seen. What cannot be resolved counts as untrusted and injection-suspected.

import { fail, ok, type Result } from './errors.js';
import { LIMITS } from './limits.js';
import { checkBoundedString, checkFields, isSizeProblem } from './strict_object.js';
import { isTrustLevel, minTrust, type TrustLevel } from './vocabulary.js';

/** A chunk as the engine sees it; the store's extra fields are carried, never used to decide. */
export interface Chunk {
  id: string;
  trust: TrustLevel;
  injection_suspected: boolean;
  channel?: string;
  content_hash?: string;
  ingested_at?: string;
}

/** `session`: min over cited and every chunk given (session taint). `cited_only`: cited chunks alone. */
export type ProvenanceMode = 'session' | 'cited_only';

export interface SourceResolution {
  id: string;
  resolved: boolean;
  trust: TrustLevel;
  injection_suspected: boolean;
  cited: boolean;
  channel?: string;
}

export interface Provenance {
  trust: TrustLevel;
  injection_flag: boolean;
  /** Cited sources first, in citation order; then, in session mode, uncited chunks that lowered the result. */
  sources: SourceResolution[];
  notes: string[];
}

export function parseChunks(value: unknown, path = 'chunks'): Result<Chunk[]> {
  const bad = (detail: string) =>
    fail<Chunk[]>(isSizeProblem(detail) ? 'E_INPUT_TOO_LARGE' : 'E_CHUNK_INVALID', 'invalid chunk', detail);
  if (value === undefined) return ok([]);
  if (!Array.isArray(value)) return bad(`${path}: must be an array of chunks`);
  if (value.length > LIMITS.chunks) return bad(`${path}: longer than ${LIMITS.chunks} chunks`);
  const seen = new Set<string>();
  const chunks: Chunk[] = [];
  for (let i = 0; i < value.length; i++) {
    const at = `${path}[${i}]`;
    const shape = checkFields(
      value[i],
      at,
      ['id', 'trust', 'injection_suspected'],
      ['channel', 'content_hash', 'ingested_at'],
    );
    if (shape) return bad(shape);
    const c = value[i] as Record<string, unknown>;
    const problem =
      checkBoundedString(c.id, `${at}.id`, LIMITS.id) ??
      (isTrustLevel(c.trust) ? null : `${at}.trust: must be untrusted, semi_trusted or trusted`) ??
      (typeof c.injection_suspected === 'boolean'
        ? null
        : `${at}.injection_suspected: must be true or false`);
    if (problem) return bad(problem);
    for (const key of ['channel', 'content_hash', 'ingested_at'] as const) {
      if (c[key] === undefined) continue;
      const p = checkBoundedString(c[key], `${at}.${key}`, LIMITS.id);
      if (p) return bad(p);
    }
    if (seen.has(c.id as string)) return bad(`${at}.id: chunk "${c.id}" is given twice`);
    seen.add(c.id as string);
    const chunk: Chunk = {
      id: c.id as string,
      trust: c.trust as TrustLevel,
      injection_suspected: c.injection_suspected as boolean,
    };
    if (c.channel !== undefined) chunk.channel = c.channel as string;
    if (c.content_hash !== undefined) chunk.content_hash = c.content_hash as string;
    if (c.ingested_at !== undefined) chunk.ingested_at = c.ingested_at as string;
    chunks.push(chunk);
  }
  return ok(chunks);
}

export function resolveProvenance(
  citations: readonly string[],
  chunks: readonly Chunk[],
  mode: ProvenanceMode,
): Provenance {
  // A session holds a handful of chunks; a linear scan beats building a map until it does not.
  const byId = chunks.length > 16 ? new Map(chunks.map((c) => [c.id, c])) : null;
  const find = (id: string) => (byId ? byId.get(id) : chunks.find((c) => c.id === id));

  const notes: string[] = [];
  const sources: SourceResolution[] = [];
  let trust: TrustLevel = 'trusted';
  let injection = false;

  if (citations.length === 0) {
    trust = 'untrusted';
    injection = true;
    notes.push('no source cited: provenance is untrusted and injection-suspected');
  }
  const cited = new Set<string>();
  for (const id of citations) {
    if (cited.has(id)) continue;
    cited.add(id);
    const chunk = find(id);
    if (!chunk) {
      sources.push({ id, resolved: false, trust: 'untrusted', injection_suspected: true, cited: true });
      trust = 'untrusted';
      injection = true;
      notes.push(`citation "${id}" resolves to no known chunk: counted as untrusted and injection-suspected`);
      continue;
    }
    sources.push(describe(chunk, true));
    trust = minTrust(trust, chunk.trust);
    injection ||= chunk.injection_suspected;
  }

  if (mode === 'session') {
    for (const chunk of chunks) {
      if (cited.has(chunk.id)) continue;
      const lowers = minTrust(trust, chunk.trust) !== trust;
      const flags = chunk.injection_suspected && !injection;
      if (!lowers && !flags) continue;
      sources.push(describe(chunk, false));
      trust = minTrust(trust, chunk.trust);
      injection ||= chunk.injection_suspected;
      notes.push(
        `session taint: uncited chunk "${chunk.id}" (${chunk.trust}${chunk.injection_suspected ? ', injection suspected' : ''}) was seen in this session`,
      );
    }
  }
  return { trust, injection_flag: injection, sources, notes };
}

function describe(chunk: Chunk, cited: boolean): SourceResolution {
  const s: SourceResolution = {
    id: chunk.id,
    resolved: true,
    trust: chunk.trust,
    injection_suspected: chunk.injection_suspected,
    cited,
  };
  if (chunk.channel !== undefined) s.channel = chunk.channel;
  return s;
}
