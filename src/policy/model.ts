// The compiled policy: a list of rules per layer, each rule one small, typed fact with the sentence or
// YAML node it came from. YAML and English both lower to these rules, and checkRuleBody is the one
// place a rule is validated and put in normal form, so both forms hash alike when they say the same.

import { toCanonicalJson, type JsonValue } from '../engine/canonical_json.js';
import { compileArgsSchema } from '../engine/json_schema.js';
import { isPlainObject } from '../engine/strict_object.js';
import { unsafePatternReason } from './safe_regex.js';
import { canonicalToolName } from './tool_name.js';

import { PII_TYPES, TRUST_TIERS, type TrustTier } from '../engine/vocabulary.js';
export { TRUST_TIERS, type TrustTier };

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Matches every tool. */
export const ANY_TOOL = '*';

/** Finding categories: `PII` is any PII type, `SECRET` any finding type that is not a PII type. */
export const DATA_CATEGORIES = ['PII', 'SECRET'] as const;

/** The PII detector's entity types, as policies name them (one list: engine/vocabulary.ts). */
export const PII_TYPE_NAMES = PII_TYPES;

export type ArgumentConstraint =
  | { equals: JsonValue }
  | { minimum?: number; maximum?: number }
  | { pattern: string }
  | { path_prefix: string };

export type RuleBody =
  | { kind: 'deny_tools'; tools: string[] }
  | { kind: 'allow_tools'; tools: string[] }
  | { kind: 'review_tools'; tools: string[] }
  | { kind: 'grant'; subject: 'agent' | 'role'; name: string; tools: string[] }
  | { kind: 'argument'; tools: string[]; arg: string; constraint: ArgumentConstraint }
  | { kind: 'domains'; tools: string[]; domains: string[] }
  | { kind: 'window'; tools: string[]; zone: string; days: Weekday[]; start: string; end: string }
  | {
      kind: 'rate_limit';
      tools: string[];
      max_calls: number;
      window_seconds: number;
      per: 'agent' | 'tool' | 'global';
    }
  | {
      kind: 'budget';
      tools: string[];
      max_cost: number;
      period_seconds: number;
      cost: { per_call: number } | { argument: string };
    }
  | {
      kind: 'data';
      tools: string[];
      direction: 'input' | 'output';
      types: string[];
      action: 'redact' | 'deny' | 'allow';
    }
  | { kind: 'output_schema'; tools: string[]; schema: JsonValue }
  | { kind: 'max_output'; tools: string[]; max_bytes: number }
  | { kind: 'min_tier'; tools: string[]; tier: TrustTier };

export type RuleKind = RuleBody['kind'];

export type RuleSource =
  | { form: 'english'; sentence: string; line: number; column: number }
  | { form: 'yaml'; path: string; line: number | null };

export type PolicyRule = RuleBody & { id: string; source: RuleSource };

export interface PolicyLayer {
  /** The policy document's `name`; layers of bases come first. */
  name: string;
  rules: PolicyRule[];
}

export interface CompiledPolicy {
  format: 'carapace-policy/1';
  name: string;
  layers: PolicyLayer[];
  /** sha256 over RFC 8785 canonical JSON of {format, name, layers}: rules and their sources. */
  hash: string;
  /** sha256 over what each layer means (no ids or sources, order-free, tool lists merged): equal when two texts say the same thing. */
  rules_hash: string;
}

const LIMITS = {
  name: 128,
  tools: 256,
  domains: 256,
  counter: 1e9,
  seconds: 366 * 24 * 3600,
  schemaChars: 16_384,
} as const;

const TOOL_NAME = /^[a-z0-9_.:-]{1,128}$/;
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DATA_TYPE = /^[A-Z][A-Z0-9_]{0,63}$/;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const IDENT = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** A tool list in normal form: canonical names, deduplicated, sorted; `*` means every tool. */
export function normalizeTools(raw: unknown, at: string): string[] | string {
  if (!Array.isArray(raw) || raw.length > LIMITS.tools)
    return `${at}: must be a list of at most ${LIMITS.tools} tool names`;
  const out = new Set<string>();
  for (const [i, t] of raw.entries()) {
    if (typeof t !== 'string') return `${at}[${i}]: must be a string`;
    const name = t === ANY_TOOL ? ANY_TOOL : canonicalToolName(t);
    if (name !== ANY_TOOL && !TOOL_NAME.test(name))
      return `${at}[${i}]: "${t}" is not a tool name (letters, digits, _ . : -; at most 128)`;
    out.add(name);
  }
  return [...out].sort();
}

function isCount(x: unknown, max: number): x is number {
  return Number.isInteger(x) && (x as number) >= 0 && (x as number) <= max;
}
function isPositiveNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

/** Validates one rule body and returns it in normal form, or a message saying what is wrong. */
export function checkRuleBody(body: RuleBody, at: string): RuleBody | string {
  const tools = normalizeTools(body.tools, `${at}.tools`);
  if (typeof tools === 'string') return tools;
  const mayBeEmpty =
    body.kind === 'allow_tools' || body.kind === 'deny_tools' || body.kind === 'review_tools';
  if (tools.length === 0 && !mayBeEmpty) return `${at}.tools: names no tool`;
  switch (body.kind) {
    case 'deny_tools':
    case 'allow_tools':
    case 'review_tools':
      return { kind: body.kind, tools };
    case 'grant':
      if (body.subject !== 'agent' && body.subject !== 'role')
        return `${at}: a grant is for an agent or a role`;
      if (typeof body.name !== 'string' || !IDENT.test(body.name))
        return `${at}: "${String(body.name)}" is not an agent id or role name`;
      return { kind: 'grant', subject: body.subject, name: body.name, tools };
    case 'argument': {
      if (
        typeof body.arg !== 'string' ||
        !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(body.arg)
      )
        return `${at}.arg: "${String(body.arg)}" is not an argument name (dots reach into objects)`;
      const constraint = checkConstraint(body.constraint, `${at}`);
      if (typeof constraint === 'string') return constraint;
      return { kind: 'argument', tools, arg: body.arg, constraint };
    }
    case 'domains': {
      if (!Array.isArray(body.domains) || body.domains.length === 0 || body.domains.length > LIMITS.domains)
        return `${at}.domains: must be a list of 1 to ${LIMITS.domains} domains`;
      const domains = new Set<string>();
      for (const [i, d] of body.domains.entries()) {
        if (typeof d !== 'string') return `${at}.domains[${i}]: must be a string`;
        let norm = d.trim().toLowerCase();
        if (norm.startsWith('*.')) norm = norm.slice(1);
        const host = norm.startsWith('.') ? norm.slice(1) : norm;
        if (!HOST.test(host) || !host.includes('.'))
          return `${at}.domains[${i}]: "${d}" is not a domain ("example.com" exactly, ".example.com" for any subdomain)`;
        domains.add(norm);
      }
      return { kind: 'domains', tools, domains: [...domains].sort() };
    }
    case 'window': {
      if (typeof body.zone !== 'string' || !isTimeZone(body.zone))
        return `${at}.zone: "${String(body.zone)}" is not an IANA time zone`;
      if (
        !Array.isArray(body.days) ||
        body.days.length === 0 ||
        !body.days.every((d) => WEEKDAYS.includes(d))
      )
        return `${at}.days: must be a non-empty list of ${WEEKDAYS.join(', ')}`;
      if (typeof body.start !== 'string' || !HHMM.test(body.start))
        return `${at}.start: must be HH:MM (24 h)`;
      if (typeof body.end !== 'string' || !(HHMM.test(body.end) || body.end === '24:00'))
        return `${at}.end: must be HH:MM (24 h) or 24:00`;
      if (body.start >= body.end) return `${at}: start ${body.start} must be before end ${body.end}`;
      const days = WEEKDAYS.filter((d) => body.days.includes(d));
      return { kind: 'window', tools, zone: body.zone, days, start: body.start, end: body.end };
    }
    case 'rate_limit':
      if (!isCount(body.max_calls, LIMITS.counter)) return `${at}.max_calls: must be a whole number ≥ 0`;
      if (!isCount(body.window_seconds, LIMITS.seconds) || body.window_seconds === 0)
        return `${at}.window_seconds: must be a whole number from 1 to ${LIMITS.seconds}`;
      if (!['agent', 'tool', 'global'].includes(body.per)) return `${at}.per: must be agent, tool or global`;
      return {
        kind: 'rate_limit',
        tools,
        max_calls: body.max_calls,
        window_seconds: body.window_seconds,
        per: body.per,
      };
    case 'budget': {
      if (!isPositiveNumber(body.max_cost)) return `${at}.max_cost: must be a number ≥ 0`;
      if (!isCount(body.period_seconds, LIMITS.seconds) || body.period_seconds === 0)
        return `${at}.period_seconds: must be a whole number from 1 to ${LIMITS.seconds}`;
      const c: unknown = body.cost;
      if (!isPlainObject(c)) return `${at}.cost: must be {per_call: N} or {argument: name}`;
      let cost: { per_call: number } | { argument: string };
      if (Object.keys(c).length === 1 && isPositiveNumber(c.per_call)) cost = { per_call: c.per_call };
      else if (
        Object.keys(c).length === 1 &&
        typeof c.argument === 'string' &&
        /^[A-Za-z_][A-Za-z0-9_]*$/.test(c.argument)
      )
        cost = { argument: c.argument };
      else return `${at}.cost: must be {per_call: N} or {argument: name}`;
      return { kind: 'budget', tools, max_cost: body.max_cost, period_seconds: body.period_seconds, cost };
    }
    case 'data': {
      if (body.direction !== 'input' && body.direction !== 'output')
        return `${at}.direction: must be input or output`;
      if (!['redact', 'deny', 'allow'].includes(body.action))
        return `${at}.action: must be redact, deny or allow`;
      if (!Array.isArray(body.types) || body.types.length === 0)
        return `${at}.types: must be a non-empty list`;
      const types = new Set<string>();
      for (const [i, t] of body.types.entries()) {
        if (typeof t !== 'string' || !DATA_TYPE.test(t.toUpperCase()))
          return `${at}.types[${i}]: must be PII, SECRET or a finding type such as CREDIT_CARD`;
        types.add(t.toUpperCase());
      }
      return {
        kind: 'data',
        tools,
        direction: body.direction,
        types: [...types].sort(),
        action: body.action,
      };
    }
    case 'output_schema': {
      const canonical = toCanonicalJson<JsonValue>(body.schema, 16, LIMITS.schemaChars);
      if (!canonical.ok) return `${at}.schema${canonical.path}: ${canonical.reason}`;
      const compiled = compileArgsSchema(canonical.value, `${at}.schema`);
      if (!compiled.ok) return compiled.error.detail;
      return { kind: 'output_schema', tools, schema: canonical.value };
    }
    case 'max_output':
      if (!isCount(body.max_bytes, 2 ** 40) || body.max_bytes === 0)
        return `${at}.max_bytes: must be a whole number ≥ 1`;
      return { kind: 'max_output', tools, max_bytes: body.max_bytes };
    case 'min_tier':
      if (!TRUST_TIERS.includes(body.tier)) return `${at}.tier: must be one of ${TRUST_TIERS.join(', ')}`;
      return { kind: 'min_tier', tools, tier: body.tier };
    default:
      return `${at}: unknown rule kind`;
  }
}

function checkConstraint(raw: unknown, at: string): ArgumentConstraint | string {
  if (!isPlainObject(raw)) return `${at}: a constraint is equals, minimum/maximum, pattern or path_prefix`;
  const keys = Object.keys(raw).sort().join(',');
  if (keys === 'equals') {
    const v = toCanonicalJson<JsonValue>(raw.equals, 8, 4096);
    if (!v.ok) return `${at}.equals${v.path}: ${v.reason}`;
    return { equals: v.value };
  }
  if (keys === 'minimum' || keys === 'maximum' || keys === 'maximum,minimum') {
    const out: { minimum?: number; maximum?: number } = {};
    for (const k of ['minimum', 'maximum'] as const) {
      const n = raw[k];
      if (n === undefined) continue;
      if (typeof n !== 'number' || !Number.isFinite(n)) return `${at}.${k}: must be a number`;
      out[k] = n;
    }
    if (out.minimum !== undefined && out.maximum !== undefined && out.minimum > out.maximum)
      return `${at}: minimum ${out.minimum} is above maximum ${out.maximum}`;
    return out;
  }
  if (keys === 'pattern') {
    if (typeof raw.pattern !== 'string') return `${at}.pattern: must be a string`;
    const why = unsafePatternReason(raw.pattern);
    if (why) return `${at}.pattern: ${why}`;
    return { pattern: raw.pattern };
  }
  if (keys === 'path_prefix') {
    const p = raw.path_prefix;
    if (typeof p !== 'string' || !p.startsWith('/') || p.length > 1024)
      return `${at}.path_prefix: must be an absolute path`;
    const norm = normalizePath(p);
    if (norm === null) return `${at}.path_prefix: "${p}" does not normalise to an absolute path`;
    return { path_prefix: norm };
  }
  return `${at}: a constraint is exactly one of equals, minimum/maximum, pattern, path_prefix (got ${keys || 'nothing'})`;
}

/** POSIX normalisation with `..` resolved; backslashes count as separators; null when it escapes `/` or is relative. */
export function normalizePath(p: string): string | null {
  if (p.includes('\u0000')) return null;
  const s = p.replace(/\\/g, '/');
  if (!s.startsWith('/')) return null;
  const parts: string[] = [];
  for (const seg of s.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

const zoneCache = new Map<string, boolean>();
export function isTimeZone(zone: string): boolean {
  const known = zoneCache.get(zone);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    ok = zone.length <= 64;
  } catch {
    ok = false;
  }
  if (zoneCache.size < 1024) zoneCache.set(zone, ok);
  return ok;
}
