// Evaluation of a compiled policy as a pure function of (policy, input): no clock, no store, no I/O.
// The caller supplies the time, the counter values of the sliding windows and any scanner findings;
// the verdict says which rules fired (with their sentences), and what the caller must do next.

import { toCanonicalJson, canonicalJson, type JsonValue } from '../engine/canonical_json.js';
import { sha256Canonical } from '../engine/hash.js';
import { type ArgsValidator, compileArgsSchema } from '../engine/json_schema.js';
import { isPlainObject } from '../engine/strict_object.js';
import { type Decision, mostSevere } from '../engine/vocabulary.js';
import { ruleBody } from './compile.js';
import {
  ANY_TOOL,
  type ArgumentConstraint,
  type CompiledPolicy,
  normalizePath,
  PII_TYPE_NAMES,
  type PolicyLayer,
  type PolicyRule,
  type RuleSource,
  TRUST_TIERS,
  type TrustTier,
  type Weekday,
} from './model.js';
import { canonicalToolName } from './tool_name.js';

export interface Findings {
  /** Finding types, e.g. CREDIT_CARD, EMAIL_ADDRESS, or a secret detector's type. */
  types: string[];
}

export interface PolicyInput {
  /** The tool as proposed; it is canonicalised (NFKC, case, homoglyphs) before any comparison. */
  tool: string;
  args: Record<string, unknown>;
  agent: string;
  role: string | null;
  tier: TrustTier;
  /** The decision time, epoch milliseconds, injected by the caller. */
  now_ms: number;
  /** Current values of the counters requiredCounters names: calls or cost within each sliding window. */
  counters: Record<string, number>;
  /** Scanner findings, when the caller has them; a rule that needs missing findings fails closed. */
  findings?: { input?: Findings; output?: Findings };
  /** The tool's output, when evaluating after execution: checked against output schemas and sizes. */
  output?: unknown;
}

export interface FiredRule {
  /** The policy rule id (`<policy name>#<n>`), or `policy:input` / `policy:error` when failing closed. */
  rule: string;
  layer: string | null;
  decision: Decision;
  reason: string;
  source: RuleSource | null;
}

export interface CounterObligation {
  key: string;
  window_ms: number;
  /** What to add when the action goes ahead: 1 for a call, the cost for a budget. */
  amount: number;
  /** The most the window may hold after adding: a store that counts concurrently checks it again. */
  limit: number;
  /** The rule that set the limit. */
  rule: string;
}

export interface PolicyObligations {
  counters: CounterObligation[];
  /** Data types to redact, by direction (PII, SECRET or finding types). */
  redact: { input: string[]; output: string[] };
  /** Output holding any of these types must be withheld. */
  deny_output_types: string[];
  /** Output larger than this many bytes (UTF-8 of its JSON) must be withheld; null when unbounded. */
  max_output_bytes: number | null;
  /** Output must match every one of these schemas or be withheld. */
  output_schemas: { rule: string; schema: JsonValue }[];
}

export interface PolicyVerdict {
  decision: Decision;
  /** Every rule that tightened the verdict, in layer and rule order. Empty for a plain ALLOW. */
  fired: FiredRule[];
  policy_hash: string;
  obligations: PolicyObligations;
}

export interface CounterRequirement {
  key: string;
  window_ms: number;
  kind: 'calls' | 'cost';
  rule: string;
}

const MAX_ARGS_CHARS = 65_536;

/** The more severe of the engine's decision and the policy's: a policy tightens, never loosens. */
export function composeVerdicts(engineDecision: Decision, policyVerdict: PolicyVerdict): Decision {
  return mostSevere(engineDecision, policyVerdict.decision);
}

function applies(rule: PolicyRule, tool: string): boolean {
  return rule.tools.includes(tool) || rule.tools.includes(ANY_TOOL);
}

/** The counters the caller must read before evaluating this tool call for this agent. */
export function requiredCounters(policy: CompiledPolicy, tool: string, agent: string): CounterRequirement[] {
  const name = canonicalToolName(tool);
  const out: CounterRequirement[] = [];
  for (const layer of policy.layers)
    for (const rule of layer.rules) {
      if (!applies(rule, name)) continue;
      if (rule.kind === 'rate_limit') {
        const subject =
          rule.per === 'agent' ? `agent:${agent}` : rule.per === 'tool' ? `tool:${name}` : 'global';
        out.push({
          key: `calls:${ruleDigest(rule)}:${subject}`,
          window_ms: rule.window_seconds * 1000,
          kind: 'calls',
          rule: rule.id,
        });
      } else if (rule.kind === 'budget') {
        out.push({
          key: `cost:${ruleDigest(rule)}:agent:${agent}`,
          window_ms: rule.period_seconds * 1000,
          kind: 'cost',
          rule: rule.id,
        });
      }
    }
  return out;
}

const digests = new WeakMap<PolicyRule, string>();
/** Counter keys name a rule by what it says, so reordering or re-wording other rules keeps counts. */
function ruleDigest(rule: PolicyRule): string {
  let d = digests.get(rule);
  if (d === undefined) {
    d = sha256Canonical(ruleBody(rule)).slice('sha256:'.length, 'sha256:'.length + 16);
    digests.set(rule, d);
  }
  return d;
}

function emptyObligations(): PolicyObligations {
  return {
    counters: [],
    redact: { input: [], output: [] },
    deny_output_types: [],
    max_output_bytes: null,
    output_schemas: [],
  };
}

/**
 * Evaluates `policy` for one proposed action. Never throws: a malformed policy or input, a missing
 * counter or finding, or any internal error is a DENY that says why.
 */
export function evaluatePolicy(policy: CompiledPolicy, input: PolicyInput): PolicyVerdict {
  const hash = typeof policy?.hash === 'string' ? policy.hash : 'unknown';
  const failClosed = (rule: 'policy:input' | 'policy:error', reason: string): PolicyVerdict => ({
    decision: 'DENY',
    fired: [{ rule, layer: null, decision: 'DENY', reason, source: null }],
    policy_hash: hash,
    obligations: emptyObligations(),
  });
  try {
    if (!isPlainObject(policy) || !Array.isArray(policy.layers) || typeof policy.hash !== 'string')
      return failClosed('policy:error', 'the policy is not a compiled policy');
    const problem = checkInput(input);
    if (problem) return failClosed('policy:input', problem);
    return evaluateChecked(policy, input);
  } catch (e) {
    return failClosed('policy:error', `evaluation failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function checkInput(input: unknown): string | null {
  if (!isPlainObject(input)) return 'input: must be an object';
  const known = ['tool', 'args', 'agent', 'role', 'tier', 'now_ms', 'counters', 'findings', 'output'];
  for (const k of Object.keys(input)) if (!known.includes(k)) return `input: unknown field "${k}"`;
  if (typeof input.tool !== 'string' || input.tool.length === 0 || input.tool.length > 256)
    return 'input.tool: must be a tool name';
  if (!isPlainObject(input.args)) return 'input.args: must be an object';
  const args = toCanonicalJson(input.args, 16, MAX_ARGS_CHARS);
  if (!args.ok) return `input.args${args.path}: ${args.reason}`;
  if (typeof input.agent !== 'string' || input.agent.length === 0 || input.agent.length > 256)
    return 'input.agent: must be an agent id';
  if (input.role !== null && (typeof input.role !== 'string' || input.role.length > 256))
    return 'input.role: must be a role name or null';
  if (!(TRUST_TIERS as readonly unknown[]).includes(input.tier)) return 'input.tier: must be T0 to T7';
  if (typeof input.now_ms !== 'number' || !Number.isFinite(input.now_ms))
    return 'input.now_ms: must be epoch milliseconds';
  if (!isPlainObject(input.counters)) return 'input.counters: must be an object of numbers';
  for (const [k, v] of Object.entries(input.counters))
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      return `input.counters.${k}: must be a number ≥ 0`;
  if (input.findings !== undefined) {
    if (!isPlainObject(input.findings)) return 'input.findings: must be {input?, output?}';
    for (const [k, f] of Object.entries(input.findings)) {
      if (k !== 'input' && k !== 'output') return `input.findings: unknown direction "${k}"`;
      if (f === undefined) continue;
      if (!isPlainObject(f) || !Array.isArray(f.types) || !f.types.every((t) => typeof t === 'string'))
        return `input.findings.${k}: must be {types: string[]}`;
    }
  }
  return null;
}

/**
 * The rules of one layer that refuse `tool` to this agent whatever its arguments, time or counters:
 * the deny list, the allowlist, the grants. A deny list names the tool: it is the most specific reason,
 * so it comes first.
 */
function toolRefusals(
  layer: PolicyLayer,
  tool: string,
  agent: string,
  role: string | null,
): { rule: PolicyRule; reason: string }[] {
  const refusals: { rule: PolicyRule; reason: string }[] = [];
  for (const rule of layer.rules)
    if (rule.kind === 'deny_tools' && applies(rule, tool))
      refusals.push({ rule, reason: `${tool} is never allowed` });
  // Lists that open a door are unions within one policy; each layer must open it (intersection).
  const allowRules = layer.rules.filter((r) => r.kind === 'allow_tools');
  if (allowRules.length > 0 && !allowRules.some((r) => applies(r, tool)))
    refusals.push({
      rule: allowRules[0] as PolicyRule,
      reason: `${tool} is not on the allowlist of policy ${layer.name}`,
    });
  const grants = layer.rules.filter((r) => r.kind === 'grant');
  if (
    grants.length > 0 &&
    !grants.some(
      (g) =>
        g.kind === 'grant' &&
        applies(g, tool) &&
        ((g.subject === 'agent' && g.name === agent) || (g.subject === 'role' && g.name === role)),
    )
  )
    refusals.push({
      rule: grants[0] as PolicyRule,
      reason: `no grant of policy ${layer.name} lets agent ${agent}${role ? ` (role ${role})` : ''} call ${tool}`,
    });
  return refusals;
}

/**
 * Why `policy` never lets this agent call `tool` (its deny lists, allowlists and grants), or null when
 * they let it: what an agent may hand on to a delegate. Arguments, windows and limits are not judged.
 */
export function toolRefusal(
  policy: CompiledPolicy,
  tool: string,
  agent: string,
  role: string | null,
): string | null {
  const name = canonicalToolName(tool);
  for (const layer of policy.layers) {
    const [first] = toolRefusals(layer, name, agent, role);
    if (first) return first.reason;
  }
  return null;
}

function evaluateChecked(policy: CompiledPolicy, input: PolicyInput): PolicyVerdict {
  const tool = canonicalToolName(input.tool);
  const fired: FiredRule[] = [];
  const obligations = emptyObligations();
  const fire = (layer: PolicyLayer, rule: PolicyRule, decision: Decision, reason: string) =>
    fired.push({ rule: rule.id, layer: layer.name, decision, reason, source: rule.source });
  const counters = new Map(requiredCounters(policy, tool, input.agent).map((c) => [c.rule, c]));
  const redactIn = new Set<string>();
  const redactOut = new Set<string>();
  const denyOut = new Set<string>();

  for (const layer of policy.layers) {
    const rules = layer.rules.filter((r) => applies(r, tool));
    // A deny list names the tool: it is the most specific reason, so it fires (and is named) first.
    for (const refusal of toolRefusals(layer, tool, input.agent, input.role))
      fire(layer, refusal.rule, 'DENY', refusal.reason);
    const windows = rules.filter((r) => r.kind === 'window');
    if (windows.length > 0 && !windows.some((w) => w.kind === 'window' && inWindow(input.now_ms, w)))
      fire(layer, windows[0] as PolicyRule, 'DENY', `${tool} is outside its allowed time window`);
    const domainRules = rules.filter((r) => r.kind === 'domains');
    if (domainRules.length > 0) {
      const allowed = domainRules.flatMap((r) => (r.kind === 'domains' ? r.domains : []));
      const bad = disallowedHost(input.args, allowed);
      if (bad !== null) fire(layer, domainRules[0] as PolicyRule, 'DENY', bad);
    }

    for (const rule of rules) {
      switch (rule.kind) {
        case 'review_tools':
          fire(layer, rule, 'HUMAN_REVIEW', `${tool} requires human review`);
          break;
        case 'min_tier':
          if (TRUST_TIERS.indexOf(input.tier) < TRUST_TIERS.indexOf(rule.tier))
            fire(layer, rule, 'DENY', `${tool} needs trust tier ${rule.tier}; the agent is ${input.tier}`);
          break;
        case 'argument': {
          const why = constraintViolation(input.args, rule.arg, rule.constraint);
          if (why) fire(layer, rule, 'DENY', `argument ${rule.arg} of ${tool}: ${why}`);
          break;
        }
        case 'rate_limit': {
          const c = counters.get(rule.id) as CounterRequirement;
          const seen = input.counters[c.key];
          if (seen === undefined) fire(layer, rule, 'DENY', `counter ${c.key} was not supplied`);
          else if (seen + 1 > rule.max_calls)
            fire(
              layer,
              rule,
              'DENY',
              `${seen} calls in the last ${rule.window_seconds} s; the limit is ${rule.max_calls}`,
            );
          else
            obligations.counters.push({
              key: c.key,
              window_ms: c.window_ms,
              amount: 1,
              limit: rule.max_calls,
              rule: rule.id,
            });
          break;
        }
        case 'budget': {
          const c = counters.get(rule.id) as CounterRequirement;
          const spent = input.counters[c.key];
          const cost =
            'per_call' in rule.cost ? rule.cost.per_call : argumentValue(input.args, rule.cost.argument);
          if (spent === undefined) fire(layer, rule, 'DENY', `counter ${c.key} was not supplied`);
          else if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0)
            fire(layer, rule, 'DENY', `the cost of ${tool} is not a number ≥ 0`);
          else if (spent + cost > rule.max_cost)
            fire(
              layer,
              rule,
              'DENY',
              `spent ${spent} of ${rule.max_cost} in the last ${rule.period_seconds} s; this call costs ${cost}`,
            );
          else
            obligations.counters.push({
              key: c.key,
              window_ms: c.window_ms,
              amount: cost,
              limit: rule.max_cost,
              rule: rule.id,
            });
          break;
        }
        case 'data': {
          if (rule.action === 'allow') break;
          const findings = input.findings?.[rule.direction];
          if (rule.action === 'redact') {
            for (const t of rule.types) (rule.direction === 'input' ? redactIn : redactOut).add(t);
            break;
          }
          if (rule.direction === 'output') for (const t of rule.types) denyOut.add(t);
          if (findings === undefined) {
            if (rule.direction === 'input')
              fire(
                layer,
                rule,
                'DENY',
                `the rule needs scanner findings for the input, and none were supplied`,
              );
            break;
          }
          const hit = findings.types.find((f) => rule.types.some((t) => typeMatches(t, f)));
          if (hit !== undefined)
            fire(layer, rule, 'DENY', `the ${rule.direction} of ${tool} contains ${hit}`);
          break;
        }
        case 'output_schema': {
          obligations.output_schemas.push({ rule: rule.id, schema: rule.schema });
          if (input.output !== undefined) {
            const why = schemaValidator(rule)(input.output, 'output');
            if (why) fire(layer, rule, 'DENY', `output withheld: ${why}`);
          }
          break;
        }
        case 'max_output': {
          obligations.max_output_bytes = Math.min(
            obligations.max_output_bytes ?? rule.max_bytes,
            rule.max_bytes,
          );
          if (input.output !== undefined) {
            const size = outputBytes(input.output);
            if (size > rule.max_bytes)
              fire(layer, rule, 'DENY', `output withheld: ${size} bytes, the limit is ${rule.max_bytes}`);
          }
          break;
        }
        default:
          break;
      }
    }
  }
  obligations.redact = { input: [...redactIn].sort(), output: [...redactOut].sort() };
  obligations.deny_output_types = [...denyOut].sort();
  let decision: Decision = 'ALLOW';
  for (const f of fired) decision = mostSevere(decision, f.decision);
  // A denied action does not run, so it spends nothing; a reviewed one is re-evaluated on approval.
  if (decision === 'DENY' || decision === 'QUARANTINE') obligations.counters = [];
  return { decision, fired, policy_hash: policy.hash, obligations };
}

/** PII matches any PII type; SECRET matches any type that is not PII; otherwise types are compared as is. */
function typeMatches(ruleType: string, found: string): boolean {
  const f = found.toUpperCase();
  const isPii = (PII_TYPE_NAMES as readonly string[]).includes(f);
  if (ruleType === 'PII') return isPii;
  if (ruleType === 'SECRET') return !isPii;
  return ruleType === f;
}

function argumentValue(args: Record<string, unknown>, path: string): unknown {
  let v: unknown = args;
  for (const key of path.split('.')) {
    if (!isPlainObject(v) || !Object.hasOwn(v, key)) return undefined;
    v = v[key];
  }
  return v;
}

const regexes = new WeakMap<object, RegExp>();

function constraintViolation(
  args: Record<string, unknown>,
  arg: string,
  c: ArgumentConstraint,
): string | null {
  const v = argumentValue(args, arg);
  if (v === undefined) return 'missing';
  if ('equals' in c)
    return canonicalJson(v) === canonicalJson(c.equals) ? null : `must equal ${canonicalJson(c.equals)}`;
  if ('pattern' in c) {
    let re = regexes.get(c);
    if (!re) {
      re = new RegExp(c.pattern, 'u');
      regexes.set(c, re);
    }
    if (typeof v !== 'string' && typeof v !== 'number') return 'must be a string';
    return re.test(String(v)) ? null : `does not match ${c.pattern}`;
  }
  if ('path_prefix' in c) {
    if (typeof v !== 'string') return 'must be a path';
    const forms = [v];
    if (v.includes('%')) {
      try {
        forms.push(decodeURIComponent(v));
      } catch {
        return 'holds malformed percent-encoding';
      }
    }
    for (const form of forms) {
      const p = normalizePath(form);
      if (p === null) return `"${v}" is not an absolute path inside /`;
      if (!isUnder(p, c.path_prefix)) return `${p} is not under ${c.path_prefix}`;
    }
    return null;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a number';
  if (c.minimum !== undefined && v < c.minimum) return `${v} is below ${c.minimum}`;
  if (c.maximum !== undefined && v > c.maximum) return `${v} is above ${c.maximum}`;
  return null;
}

function isUnder(path: string, prefix: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
}

// Any scheme followed by `//` (or `\\`), and the special schemes WHATWG parses even without slashes
// (`https:evil.example` has host evil.example).
const URL_IN_TEXT = /\b(?:[a-z][a-z0-9+.-]*:[\\/]{2}|(?:https?|wss?|ftp):)[^\s"'<>]+/gi;
const BARE_HOST = /^(?:\/\/)?(?:[a-z0-9-]+\.)+[a-z]{2,63}\.?(?::\d+)?(?:[/?#]\S*)?$/i;
const URL_ARG_NAME = /^(url|uri|href|link|endpoint|host|hostname|domain)$|_(url|uri|host)$/i;

/** The first URL host in `args` outside `allowed`, as a reason; null when every host is allowed. */
function disallowedHost(args: Record<string, unknown>, allowed: readonly string[]): string | null {
  const candidates: string[] = [];
  const walk = (v: unknown, key: string | null) => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(URL_IN_TEXT)) candidates.push(m[0]);
      const t = v.trim();
      if (!/:[\\/]/.test(t) && (BARE_HOST.test(t) || (key !== null && URL_ARG_NAME.test(key))))
        candidates.push(`http://${t.replace(/^\/\//, '')}`);
    } else if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(args, null);
  for (const c of candidates) {
    let host: string;
    try {
      host = new URL(c).hostname.toLowerCase().replace(/\.$/, '');
    } catch {
      return `"${c.slice(0, 128)}" is not a URL the policy can check`;
    }
    if (!allowed.some((d) => (d.startsWith('.') ? host.endsWith(d) : host === d)))
      return `host "${host}" is not an allowed domain (${allowed.join(', ')})`;
  }
  return null;
}

const formats = new Map<string, Intl.DateTimeFormat>();
const WEEKDAY_BY_SHORT: Record<string, Weekday> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};

/** Weekday and minutes since local midnight of `ms` in `zone` (DST handled by Intl). */
export function localTime(ms: number, zone: string): { day: Weekday; minutes: number } {
  let fmt = formats.get(zone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    if (formats.size < 256) formats.set(zone, fmt);
  }
  let day: Weekday | undefined;
  let hour = Number.NaN;
  let minute = Number.NaN;
  for (const p of fmt.formatToParts(ms)) {
    if (p.type === 'weekday') day = WEEKDAY_BY_SHORT[p.value];
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  if (day === undefined || !Number.isInteger(hour) || !Number.isInteger(minute))
    throw new Error(`cannot read local time in ${zone}`);
  return { day, minutes: hour * 60 + minute };
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function inWindow(ms: number, w: { zone: string; days: Weekday[]; start: string; end: string }): boolean {
  const t = localTime(ms, w.zone);
  return w.days.includes(t.day) && t.minutes >= minutesOf(w.start) && t.minutes < minutesOf(w.end);
}

const validators = new WeakMap<PolicyRule, ArgsValidator>();
function schemaValidator(rule: PolicyRule & { kind: 'output_schema' }): ArgsValidator {
  let v = validators.get(rule);
  if (!v) {
    const compiled = compileArgsSchema(rule.schema, `${rule.id}.schema`);
    if (!compiled.ok) throw new Error(compiled.error.detail);
    v = compiled.value;
    validators.set(rule, v);
  }
  return v;
}

function outputBytes(output: unknown): number {
  if (typeof output === 'string') return Buffer.byteLength(output, 'utf8');
  const c = toCanonicalJson(output, 64);
  return c.ok ? Buffer.byteLength(c.json, 'utf8') : Number.POSITIVE_INFINITY;
}

export interface OutputInput {
  tool: string;
  /** The tool's output as the executor returned it, before any redaction. */
  output: unknown;
  /** Finding types in the output; a rule that denies types fails closed without them. */
  findings?: Findings;
}

export interface OutputVerdict {
  /** DENY means the output is withheld from the agent. */
  decision: 'ALLOW' | 'DENY';
  fired: FiredRule[];
  policy_hash: string;
  /** Data types the policy asks to redact from this output (PII, SECRET or finding types). */
  redact: string[];
}

/**
 * The output side of a policy, after the tool ran: output schemas, output size, data types denied in
 * the output, and what to redact. Pure and total like evaluatePolicy: any failure withholds the output.
 */
export function evaluatePolicyOutput(policy: CompiledPolicy, input: OutputInput): OutputVerdict {
  const hash = typeof policy?.hash === 'string' ? policy.hash : 'unknown';
  const fired: FiredRule[] = [];
  const redact = new Set<string>();
  try {
    if (!isPlainObject(policy) || !Array.isArray(policy.layers))
      throw new Error('the policy is not a compiled policy');
    if (typeof input?.tool !== 'string' || input.tool.length === 0 || input.tool.length > 256)
      throw new Error('input.tool: must be a tool name');
    const tool = canonicalToolName(input.tool);
    for (const layer of policy.layers)
      for (const rule of layer.rules) {
        if (!applies(rule, tool)) continue;
        const fire = (reason: string) =>
          fired.push({ rule: rule.id, layer: layer.name, decision: 'DENY', reason, source: rule.source });
        if (rule.kind === 'output_schema') {
          const why = schemaValidator(rule)(input.output, 'output');
          if (why) fire(`output withheld: ${why}`);
        } else if (rule.kind === 'max_output') {
          const size = outputBytes(input.output);
          if (size > rule.max_bytes) fire(`output withheld: ${size} bytes, the limit is ${rule.max_bytes}`);
        } else if (rule.kind === 'data' && rule.direction === 'output') {
          if (rule.action === 'redact') for (const t of rule.types) redact.add(t);
          if (rule.action !== 'deny') continue;
          if (input.findings === undefined || !Array.isArray(input.findings.types))
            fire('output withheld: the rule needs scanner findings for the output, and none were supplied');
          else {
            const hit = input.findings.types.find((f) => rule.types.some((t) => typeMatches(t, f)));
            if (hit !== undefined) fire(`output withheld: the output of ${tool} contains ${hit}`);
          }
        }
      }
  } catch (e) {
    fired.push({
      rule: 'policy:error',
      layer: null,
      decision: 'DENY',
      reason: `output evaluation failed: ${e instanceof Error ? e.message : String(e)}`,
      source: null,
    });
  }
  return {
    decision: fired.length > 0 ? 'DENY' : 'ALLOW',
    fired,
    policy_hash: hash,
    redact: [...redact].sort(),
  };
}

/**
 * Whether evaluating `tool` needs scanner findings for its input or output (data rules that deny or
 * redact), so a caller scans only when a rule will read the result.
 */
export function findingsNeeded(policy: CompiledPolicy, tool: string): { input: boolean; output: boolean } {
  const name = canonicalToolName(tool);
  const needed = { input: false, output: false };
  for (const layer of policy.layers)
    for (const rule of layer.rules)
      if (rule.kind === 'data' && rule.action !== 'allow' && applies(rule, name))
        needed[rule.direction] = true;
  return needed;
}

/** Whether the policy asks for the types found to be redacted: `PII`, `SECRET` or an exact type. */
export function typeSelected(selected: readonly string[], found: string): boolean {
  return selected.some((t) => typeMatches(t, found));
}
