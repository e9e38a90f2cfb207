// `carapace policy compile|test|diff`: what a policy file compiles to, whether it decides a set of
// cases as expected (together with the engine, as the gateway composes them), and what two policies
// say differently.

import { statSync } from 'node:fs';
import {
  type Decision,
  decide,
  DEFAULT_RULESET,
  type Engine,
  isDecision,
  isPlainObject,
  mostSevere,
  parseDecisionRequest,
  severity,
} from '../engine/index.js';
import { canonicalJson } from '../engine/canonical_json.js';
import { findingTypes } from '../inspect/findings.js';
import { compilePolicyFile } from '../policy/files.js';
import {
  type CompiledPolicy,
  evaluatePolicy,
  type PolicyError,
  type PolicyInput,
  type PolicyRule,
  type RuleBody,
  type RuleSource,
  requiredCounters,
  ruleBody,
  TRUST_TIERS,
  type TrustTier,
} from '../policy/index.js';
import { loadCatalog, parseYamlOrJson } from './catalog_file.js';
import { type CliError, CliFailure, failure, printJson, readTextFile } from './io.js';

/** The decision time of a case that gives no `now`: a Monday, 10:00 in New York, 07:00 in San Jose. */
export const DEFAULT_CASE_NOW = '2026-01-05T15:00:00Z';
const DEFAULT_AGENT = 'test-agent';
const DEFAULT_ROLE = 'agent';
const DEFAULT_TIER: TrustTier = 'T0';
const MAX_CASES = 10_000;

/** A policy file compiled, or exit 2 with every compile error (line, column, closest form) listed. */
function compiledPolicy(path: string): CompiledPolicy {
  try {
    statSync(path);
  } catch (e) {
    throw failure(
      'E_FILE_UNREADABLE',
      'cannot read file',
      `${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const r = compilePolicyFile(path);
  if (r.ok) return r.value;
  const first = r.errors[0] as PolicyError;
  const body: CliError & { file: string; errors: PolicyError[] } = {
    error: 'policy does not compile',
    code: 'E_POLICY_COMPILE',
    detail: first.detail,
    file: path,
    errors: r.errors,
  };
  throw new CliFailure(body);
}

/** `carapace policy compile FILE`: the compiled rules, each with its sentence or YAML line, and both hashes. */
export function policyCompileCommand(file: string): number {
  const policy = compiledPolicy(file);
  printJson({
    name: policy.name,
    hash: policy.hash,
    rules_hash: policy.rules_hash,
    layers: policy.layers,
  });
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// policy test

interface PolicyCase {
  name: string;
  request: { envelope: unknown; chunks?: unknown; lobstertrap?: unknown };
  agent: string;
  role: string | null;
  tier: TrustTier;
  now: string;
  now_ms: number;
  counters: Record<string, number>;
  output?: unknown;
  expect: { decision: Decision; rule?: string };
}

const CASE_FIELDS = [
  'name',
  'envelope',
  'chunks',
  'lobstertrap',
  'agent',
  'role',
  'tier',
  'now',
  'counters',
  'output',
  'expect',
];
// An explicit offset (Z or ±hh:mm) so that a case decides alike on every machine.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function caseError(detail: string): CliFailure {
  return failure('E_CASES_INVALID', 'invalid policy test cases', detail);
}

/** Reads and checks the case file: unknown fields, wrong types and duplicate names are errors, not ignored. */
function readCases(path: string): PolicyCase[] {
  const doc = parseYamlOrJson(readTextFile(path), `cases ${path}`);
  if (!isPlainObject(doc)) throw caseError(`${path}: must be an object {cases: [...]}`);
  for (const key of Object.keys(doc)) if (key !== 'cases') throw caseError(`${path}: unknown field "${key}"`);
  if (!Array.isArray(doc.cases) || doc.cases.length === 0 || doc.cases.length > MAX_CASES)
    throw caseError(`${path}.cases: must be a list of 1 to ${MAX_CASES} cases`);
  const names = new Set<string>();
  return doc.cases.map((raw: unknown, i) => {
    const at = `cases[${i}]`;
    if (!isPlainObject(raw)) throw caseError(`${at}: must be an object`);
    if (typeof raw.name !== 'string' || raw.name.length === 0 || raw.name.length > 256)
      throw caseError(`${at}.name: must be a string of 1 to 256 characters`);
    const where = `${at} (${raw.name})`;
    for (const key of Object.keys(raw))
      if (!CASE_FIELDS.includes(key)) throw caseError(`${where}: unknown field "${key}"`);
    if (names.has(raw.name)) throw caseError(`${where}.name: given twice`);
    names.add(raw.name);
    if (raw.envelope === undefined) throw caseError(`${where}.envelope: required`);
    const agent = raw.agent ?? DEFAULT_AGENT;
    if (typeof agent !== 'string' || agent.length === 0 || agent.length > 256)
      throw caseError(`${where}.agent: must be an agent id`);
    const role = raw.role === undefined ? DEFAULT_ROLE : raw.role;
    if (role !== null && (typeof role !== 'string' || role.length === 0 || role.length > 256))
      throw caseError(`${where}.role: must be a role name or null`);
    const tier = raw.tier ?? DEFAULT_TIER;
    if (!(TRUST_TIERS as readonly unknown[]).includes(tier))
      throw caseError(`${where}.tier: must be one of ${TRUST_TIERS.join(', ')}`);
    const now = raw.now ?? DEFAULT_CASE_NOW;
    const nowMs = typeof now === 'string' && ISO_TIME.test(now) ? Date.parse(now) : Number.NaN;
    if (!Number.isFinite(nowMs))
      throw caseError(`${where}.now: must be an ISO 8601 time with an offset, e.g. ${DEFAULT_CASE_NOW}`);
    const counters = raw.counters ?? {};
    if (!isPlainObject(counters)) throw caseError(`${where}.counters: must be {<rule id or tool>: n}`);
    for (const [k, v] of Object.entries(counters))
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw caseError(`${where}.counters.${k}: must be a number ≥ 0`);
    const expect = raw.expect;
    if (!isPlainObject(expect)) throw caseError(`${where}.expect: required, {decision, rule?}`);
    for (const key of Object.keys(expect))
      if (key !== 'decision' && key !== 'rule') throw caseError(`${where}.expect: unknown field "${key}"`);
    if (!isDecision(expect.decision))
      throw caseError(`${where}.expect.decision: must be ALLOW, HUMAN_REVIEW, DENY or QUARANTINE`);
    if (expect.rule !== undefined && (typeof expect.rule !== 'string' || expect.rule.length === 0))
      throw caseError(`${where}.expect.rule: must be a rule id such as R7 or ops#2`);
    const request: PolicyCase['request'] = { envelope: raw.envelope };
    if (raw.chunks !== undefined) request.chunks = raw.chunks;
    if (raw.lobstertrap !== undefined) request.lobstertrap = raw.lobstertrap;
    const c: PolicyCase = {
      name: raw.name,
      request,
      agent,
      role: role as string | null,
      tier: tier as TrustTier,
      now: now as string,
      now_ms: nowMs,
      counters: counters as Record<string, number>,
      expect: {
        decision: expect.decision,
        ...(expect.rule !== undefined ? { rule: expect.rule as string } : {}),
      },
    };
    if (Object.hasOwn(raw, 'output')) c.output = raw.output;
    return c;
  });
}

/**
 * The counter values for one call: every counter the policy needs is 0 unless the case presets it,
 * by rule id (that rule's counter) or by the call's tool name (every counter of the tool); a rule id
 * wins over the tool. A preset that names neither a counting rule for this tool nor the tool is an error.
 */
function caseCounters(
  policy: CompiledPolicy,
  c: PolicyCase,
  tool: string,
  where: string,
): Record<string, number> {
  const needed = requiredCounters(policy, tool, c.agent);
  const counters: Record<string, number> = {};
  for (const req of needed) counters[req.key] = c.counters[req.rule] ?? c.counters[tool] ?? 0;
  for (const key of Object.keys(c.counters))
    if (key !== tool && !needed.some((req) => req.rule === key))
      throw caseError(
        `${where}.counters.${key}: not a rate limit or budget rule of the policy that counts ${tool}, nor the tool itself`,
      );
  return counters;
}

interface CaseOutcome {
  decision: Decision;
  rule: string;
  explanation: string;
  fired: { rule: string; decision: Decision; reason: string; source: RuleSource | null }[];
}

/** Decides one case as the gateway composes the stages: the more severe of engine and policy wins. */
function runCase(policy: CompiledPolicy, engine: Engine, c: PolicyCase, where: string): CaseOutcome {
  const parsed = parseDecisionRequest(c.request);
  if (!parsed.ok) throw failure(parsed.error.code, parsed.error.error, `${where}: ${parsed.error.detail}`);
  const record = decide(parsed.value, engine);
  // The catalog's name for the tool (aliases resolved), as the gateway evaluates it.
  const tool = record.tool ?? parsed.value.request.envelope.tool;
  const { args } = parsed.value.request.envelope;
  const input: PolicyInput = {
    tool,
    args,
    agent: c.agent,
    role: c.role,
    tier: c.tier,
    now_ms: c.now_ms,
    counters: caseCounters(policy, c, tool, where),
    findings: {},
  };
  // As in the gateway, a value the scanners cannot read gives no findings, so rules that need them deny.
  const scanned = (value: unknown) => {
    try {
      return { types: findingTypes(value) };
    } catch {
      return undefined;
    }
  };
  const inputFindings = scanned(args);
  if (inputFindings) input.findings = { input: inputFindings };
  if (c.output !== undefined) {
    input.output = c.output;
    const outputFindings = scanned(c.output);
    if (outputFindings) input.findings = { ...input.findings, output: outputFindings };
  }
  const verdict = evaluatePolicy(policy, input);
  const decision = mostSevere(record.decision, verdict.decision);
  const deciding =
    severity(verdict.decision) > severity(record.decision)
      ? verdict.fired.find((f) => f.decision === verdict.decision)
      : undefined;
  return {
    decision,
    rule: deciding?.rule ?? record.rule,
    explanation: deciding?.reason ?? record.explanation,
    fired: verdict.fired.map((f) => ({
      rule: f.rule,
      decision: f.decision,
      reason: f.reason,
      source: f.source,
    })),
  };
}

/** `carapace policy test FILE CASES`: exit 0 when every case decides as expected, 1 naming those that do not. */
export function policyTestCommand(file: string, casesFile: string, options: { catalog?: string }): number {
  const policy = compiledPolicy(file);
  const cases = readCases(casesFile);
  const engine: Engine = { ruleset: DEFAULT_RULESET, catalog: loadCatalog(undefined, options.catalog) };
  const results = cases.map((c, i) => {
    const got = runCase(policy, engine, c, `cases[${i}] (${c.name})`);
    const ok =
      got.decision === c.expect.decision && (c.expect.rule === undefined || got.rule === c.expect.rule);
    return { name: c.name, ok, expected: c.expect, got };
  });
  const passed = results.filter((r) => r.ok).length;
  printJson({ policy_hash: policy.hash, passed, failed: results.length - passed, results });
  return passed === results.length ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------------
// policy diff

interface MeaningEntry {
  layer: string;
  meaning: RuleBody;
  rules: { id: string; source: RuleSource }[];
}

/**
 * What each layer says, as facts keyed by canonical JSON, the way rules_hash reads it: tool lists
 * (deny, allow, review) are unions within a layer, so each listed tool is one fact; every other rule
 * is one fact per rule. Layers are matched by position counted from the top policy, so two top
 * policies with different names still compare.
 */
function meaningFacts(policy: CompiledPolicy): Map<string, MeaningEntry[]> {
  const facts = new Map<string, MeaningEntry[]>();
  const add = (fromTop: number, layer: string, meaning: RuleBody, rules: PolicyRule[]) => {
    const key = canonicalJson({ from_top: fromTop, meaning });
    const entry = { layer, meaning, rules: rules.map((r) => ({ id: r.id, source: r.source })) };
    facts.set(key, [...(facts.get(key) ?? []), entry]);
  };
  policy.layers.forEach((layer, i) => {
    const fromTop = policy.layers.length - 1 - i;
    for (const kind of ['deny_tools', 'allow_tools', 'review_tools'] as const) {
      const lists = layer.rules.filter((r) => r.kind === kind);
      if (lists.length === 0) continue;
      const tools = [...new Set(lists.flatMap((r) => r.tools))].sort();
      if (tools.length === 0) add(fromTop, layer.name, { kind, tools: [] }, lists);
      for (const t of tools)
        add(
          fromTop,
          layer.name,
          { kind, tools: [t] },
          lists.filter((r) => r.tools.includes(t)),
        );
    }
    for (const rule of layer.rules)
      if (rule.kind !== 'deny_tools' && rule.kind !== 'allow_tools' && rule.kind !== 'review_tools')
        add(fromTop, layer.name, ruleBody(rule), [rule]);
  });
  return facts;
}

/** The facts of `b` that `a` lacks, counting repeats (two equal limits are not one). */
function factsMissing(b: Map<string, MeaningEntry[]>, a: Map<string, MeaningEntry[]>): MeaningEntry[] {
  const out: MeaningEntry[] = [];
  for (const [key, entries] of b) out.push(...entries.slice(a.get(key)?.length ?? 0));
  return out;
}

/** `carapace policy diff A B`: exit 0 when both mean the same (equal rules_hash), else 1 with what differs. */
export function policyDiffCommand(fileA: string, fileB: string): number {
  const a = compiledPolicy(fileA);
  const b = compiledPolicy(fileB);
  const factsA = meaningFacts(a);
  const factsB = meaningFacts(b);
  const sameMeaning = a.rules_hash === b.rules_hash;
  const summary = (p: CompiledPolicy) => ({
    name: p.name,
    hash: p.hash,
    rules_hash: p.rules_hash,
    layers: p.layers.map((l) => l.name),
  });
  printJson({
    a: summary(a),
    b: summary(b),
    same_meaning: sameMeaning,
    added: factsMissing(factsB, factsA),
    removed: factsMissing(factsA, factsB),
  });
  return sameMeaning ? 0 : 1;
}
