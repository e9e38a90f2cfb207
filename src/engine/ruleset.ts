// The rule matrix as data: an ordered list of rules over the five decision inputs, first match wins,
// ending in a fail-closed catch-all. compileRuleset turns the YAML data into closures and refuses a
// ruleset that would let more taint buy a milder verdict (checked exhaustively: the input space is finite).

import { fail, ok, type Result } from './errors.js';
import { sha256Canonical } from './hash.js';
import { LIMITS } from './limits.js';
import { checkBoundedString, checkFields, isPlainObject } from './strict_object.js';
import {
  BLAST_RADII,
  type BlastRadius,
  type Decision,
  INTENT_CLASSES,
  type IntentClass,
  isDecision,
  severity,
  TRUST_LEVELS,
  type TrustLevel,
} from './vocabulary.js';

/** The five inputs every rule is written over (DESIGN.md §4). */
export interface RuleInputs {
  declared_intent: IntentClass;
  detected_intent: IntentClass;
  provenance: TrustLevel;
  blast_radius: BlastRadius;
  injection_flag: boolean;
}

/** What an explanation template may mention besides the five inputs. */
export interface ExplanationContext {
  tool: string;
  sources: string;
}

export interface CompiledRule {
  id: string;
  name: string;
  decision: Decision;
  /** Escalation when the conversation layer corroborates (e.g. R2 DENY → QUARANTINE). */
  escalateTo: Decision | null;
  matches: (inputs: RuleInputs) => boolean;
  explain: (inputs: RuleInputs, context: ExplanationContext) => string;
}

export interface CompiledRuleset {
  version: string;
  hash: string;
  rules: readonly CompiledRule[];
  /** The last rule: what any input no other rule covers gets, and what classification failures get. */
  catchAll: CompiledRule;
  /** The source data, as hashed. */
  source: unknown;
}

const FIELD_VOCABULARY: Record<keyof RuleInputs, readonly (string | boolean)[]> = {
  declared_intent: INTENT_CLASSES,
  detected_intent: INTENT_CLASSES,
  provenance: TRUST_LEVELS,
  blast_radius: BLAST_RADII,
  injection_flag: [false, true],
};
const OPS = ['equals', 'not_equals', 'in', 'not_in', 'at_least', 'at_most'] as const;
type Op = (typeof OPS)[number];
const ESCALATION_CONDITION = 'conversation_layer_corroborates';
const PLACEHOLDERS = new Set([
  'tool',
  'sources',
  'declared_intent',
  'detected_intent',
  'provenance',
  'blast_radius',
]);

export function compileRuleset(source: unknown): Result<CompiledRuleset> {
  const bad = (detail: string) => fail<CompiledRuleset>('E_RULESET_INVALID', 'invalid ruleset', detail);
  const shape = checkFields(source, 'ruleset', ['version', 'rules'], ['description']);
  if (shape) return bad(shape);
  const src = source as Record<string, unknown>;
  const versionProblem = checkBoundedString(src.version, 'ruleset.version', LIMITS.id);
  if (versionProblem) return bad(versionProblem);
  if (!Array.isArray(src.rules) || src.rules.length === 0 || src.rules.length > LIMITS.rulesetRules)
    return bad(`ruleset.rules: must be an array of 1 to ${LIMITS.rulesetRules} rules`);

  const rules: CompiledRule[] = [];
  const ids = new Set<string>();
  for (const [i, r] of src.rules.entries()) {
    const compiled = compileRule(r, `ruleset.rules[${i}]`, i === src.rules.length - 1);
    if (!compiled.ok) return compiled;
    if (ids.has(compiled.value.id))
      return bad(`ruleset.rules[${i}].id: "${compiled.value.id}" is used twice`);
    ids.add(compiled.value.id);
    rules.push(compiled.value);
  }
  const catchAll = rules[rules.length - 1] as CompiledRule;

  const counterexample = findNonMonotoneStep(rules);
  if (counterexample)
    return fail('E_RULESET_NOT_MONOTONE', 'ruleset lets more taint buy a milder verdict', counterexample);

  return ok({ version: src.version as string, hash: sha256Canonical(source), rules, catchAll, source });
}

function compileRule(r: unknown, at: string, isLast: boolean): Result<CompiledRule> {
  const bad = (detail: string) => fail<CompiledRule>('E_RULESET_INVALID', 'invalid ruleset', detail);
  const shape = checkFields(
    r,
    at,
    ['id', 'when', 'decision', 'explain'],
    ['name', 'escalate', 'description'],
  );
  if (shape) return bad(shape);
  const rule = r as Record<string, unknown>;
  const problem =
    checkBoundedString(rule.id, `${at}.id`, 64) ??
    (rule.name === undefined ? null : checkBoundedString(rule.name, `${at}.name`, LIMITS.id)) ??
    checkBoundedString(rule.explain, `${at}.explain`, 1024);
  if (problem) return bad(problem);
  if (!isDecision(rule.decision))
    return bad(`${at}.decision: must be ALLOW, HUMAN_REVIEW, DENY or QUARANTINE`);
  const decision = rule.decision;

  if (!Array.isArray(rule.when))
    return bad(`${at}.when: must be an array of conditions (empty for the catch-all)`);
  if (isLast && rule.when.length > 0)
    return bad(`${at}: the last rule must be a catch-all with no conditions`);
  if (!isLast && rule.when.length === 0)
    return bad(`${at}: only the last rule may be a catch-all; rules after it are unreachable`);
  if (isLast && severity(decision) < severity('DENY'))
    return bad(`${at}.decision: the catch-all must fail closed (DENY or QUARANTINE)`);

  const tests: ((inputs: RuleInputs) => boolean)[] = [];
  for (const [j, c] of rule.when.entries()) {
    const compiled = compileCondition(c, `${at}.when[${j}]`);
    if (!compiled.ok) return compiled;
    tests.push(compiled.value);
  }

  let escalateTo: Decision | null = null;
  if (rule.escalate !== undefined) {
    const escShape = checkFields(rule.escalate, `${at}.escalate`, ['to', 'when'], []);
    if (escShape) return bad(escShape);
    const esc = rule.escalate as Record<string, unknown>;
    if (esc.when !== ESCALATION_CONDITION)
      return bad(`${at}.escalate.when: must be "${ESCALATION_CONDITION}"`);
    if (!isDecision(esc.to) || severity(esc.to) <= severity(decision))
      return bad(`${at}.escalate.to: must be a decision more severe than ${decision}`);
    escalateTo = esc.to;
  }

  const explain = compileTemplate(rule.explain as string, `${at}.explain`);
  if (!explain.ok) return explain;

  const matches =
    tests.length === 0
      ? () => true
      : tests.length === 1
        ? (tests[0] as (i: RuleInputs) => boolean)
        : (i: RuleInputs) => tests.every((t) => t(i));
  return ok({
    id: rule.id as string,
    name: (rule.name as string | undefined) ?? (rule.id as string),
    decision,
    escalateTo,
    matches,
    explain: explain.value,
  });
}

function compileCondition(c: unknown, at: string): Result<(inputs: RuleInputs) => boolean> {
  type Test = (inputs: RuleInputs) => boolean;
  const bad = (detail: string) => fail<Test>('E_RULESET_INVALID', 'invalid ruleset', detail);
  if (!isPlainObject(c)) return bad(`${at}: must be an object`);
  const shape = checkFields(c, at, ['field', 'op'], [Object.hasOwn(c, 'ref') ? 'ref' : 'value']);
  if (shape) return bad(`${shape} (a condition has field, op, and either value or ref)`);
  const field = c.field as keyof RuleInputs;
  if (!Object.hasOwn(FIELD_VOCABULARY, field))
    return bad(`${at}.field: must be one of ${Object.keys(FIELD_VOCABULARY).join(', ')}`);
  const vocabulary = FIELD_VOCABULARY[field];
  const op = c.op as Op;
  if (!(OPS as readonly unknown[]).includes(op)) return bad(`${at}.op: must be one of ${OPS.join(', ')}`);
  const ordered = field !== 'injection_flag';
  if ((op === 'at_least' || op === 'at_most') && !ordered)
    return bad(`${at}.op: ${op} needs an ordered field`);

  if (Object.hasOwn(c, 'ref')) {
    const ref = c.ref as keyof RuleInputs;
    if (!Object.hasOwn(FIELD_VOCABULARY, ref) || FIELD_VOCABULARY[ref] !== vocabulary)
      return bad(`${at}.ref: must name a field with the same vocabulary as ${field}`);
    if (op !== 'equals' && op !== 'not_equals') return bad(`${at}.op: a ref supports equals and not_equals`);
    return ok(op === 'equals' ? (i) => i[field] === i[ref] : (i) => i[field] !== i[ref]);
  }

  const value = c.value;
  if (op === 'in' || op === 'not_in') {
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => vocabulary.includes(v)))
      return bad(`${at}.value: must be a non-empty list drawn from ${vocabulary.join(', ')}`);
    const set = new Set<unknown>(value);
    return ok(op === 'in' ? (i) => set.has(i[field]) : (i) => !set.has(i[field]));
  }
  if (!vocabulary.includes(value as string | boolean))
    return bad(`${at}.value: must be one of ${vocabulary.join(', ')}`);
  if (op === 'equals') return ok((i) => i[field] === value);
  if (op === 'not_equals') return ok((i) => i[field] !== value);
  const bound = vocabulary.indexOf(value as string);
  return ok(
    op === 'at_least'
      ? (i) => vocabulary.indexOf(i[field] as string) >= bound
      : (i) => vocabulary.indexOf(i[field] as string) <= bound,
  );
}

function compileTemplate(text: string, at: string): Result<CompiledRule['explain']> {
  const parts: { text: string; name: string | null }[] = [];
  for (const piece of text.split(/(\{[a-z_]+\})/)) {
    const name = /^\{([a-z_]+)\}$/.exec(piece)?.[1] ?? null;
    if (name !== null && !PLACEHOLDERS.has(name))
      return fail(
        'E_RULESET_INVALID',
        'invalid ruleset',
        `${at}: unknown placeholder {${name}}; known: ${[...PLACEHOLDERS].join(', ')}`,
      );
    parts.push({ text: piece, name });
  }
  return ok((inputs, context) => {
    let out = '';
    for (const { text: piece, name } of parts) {
      if (name === null) out += piece;
      else if (name === 'tool' || name === 'sources') out += context[name];
      else out += String(inputs[name as keyof RuleInputs]);
    }
    return out;
  });
}

/** First rule that matches; the catch-all guarantees one does. */
export function firstMatchingRule(ruleset: CompiledRuleset, inputs: RuleInputs): CompiledRule {
  for (const rule of ruleset.rules) if (rule.matches(inputs)) return rule;
  return ruleset.catchAll;
}

/**
 * The fold may lower provenance, set the injection flag and report corroboration. For every input
 * tuple, each such step must leave the verdict at least as severe. Returns a counterexample or null.
 */
export function findNonMonotoneStep(rules: readonly CompiledRule[]): string | null {
  const verdict = (inputs: RuleInputs, corroborated: boolean): Decision => {
    for (const rule of rules)
      if (rule.matches(inputs)) return corroborated && rule.escalateTo ? rule.escalateTo : rule.decision;
    return 'DENY';
  };
  const show = (i: RuleInputs, c: boolean) =>
    `declared=${i.declared_intent} detected=${i.detected_intent} provenance=${i.provenance} radius=${i.blast_radius} injection=${i.injection_flag} corroborated=${c}`;

  for (const declared_intent of INTENT_CLASSES)
    for (const detected_intent of INTENT_CLASSES)
      for (const blast_radius of BLAST_RADII)
        for (const provenance of TRUST_LEVELS)
          for (const injection_flag of [false, true])
            for (const corroborated of injection_flag ? [false, true] : [false]) {
              const here: RuleInputs = {
                declared_intent,
                detected_intent,
                provenance,
                blast_radius,
                injection_flag,
              };
              const base = verdict(here, corroborated);
              const steps: [RuleInputs, boolean][] = [];
              const lower = TRUST_LEVELS[TRUST_LEVELS.indexOf(provenance) - 1];
              if (lower) steps.push([{ ...here, provenance: lower }, corroborated]);
              if (!injection_flag)
                steps.push(
                  [{ ...here, injection_flag: true }, false],
                  [{ ...here, injection_flag: true }, true],
                );
              if (injection_flag && !corroborated) steps.push([here, true]);
              for (const [next, c] of steps) {
                const after = verdict(next, c);
                if (severity(after) < severity(base))
                  return `${show(here, corroborated)} gives ${base}, but ${show(next, c)} gives ${after}`;
              }
            }
  return null;
}
