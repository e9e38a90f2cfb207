// The plain-English policy compiler: a controlled grammar, one rule per sentence. Every sentence form is
// a template below (and in docs/policy.md); a sentence no template matches, or more than one does, is a
// compile error naming its line, column and the closest form. Nothing is dropped or guessed.

import { compileError, type PolicyError, type PolicyResult } from './errors.js';
import type { LoweredDocument } from './document.js';
import { ANY_TOOL, checkRuleBody, type RuleBody, WEEKDAYS, type Weekday } from './model.js';

interface SentenceForm {
  /** The form as documented, with <placeholders>. */
  form: string;
  /** A sentence of this form; used to find the closest form to an unknown sentence. */
  example: string;
  pattern: RegExp;
  /** Rule bodies, a policy name to extend (`extends`), or a message saying why the sentence is wrong. */
  build: (
    g: Record<string, string>,
  ) => RuleBody | { extendsPolicy: string } | { policyName: string } | string;
}

const NAME = String.raw`[\p{L}\p{N}_.:\-]+`;
const LIST = (group: string) =>
  String.raw`(?<${group}>any tool|any action|all tools|every tool|${NAME}(?:\s*,\s*${NAME})*(?:,?\s+(?:and|or)\s+${NAME})?)`;
const TOOLS = LIST('tools');
const NUMBER = String.raw`\d+(?:\.\d+)?`;
const TIME = String.raw`\d{1,2}:\d{2}`;
const ZONE = String.raw`(?<zone>UTC|[A-Za-z_]+(?:\/[A-Za-z0-9_+\-]+){1,2})`;
const DAY = String.raw`(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)s?`;
const DAYS = String.raw`(?<days>weekdays|weekends|every day|${DAY}(?:\s*,\s*${DAY})*(?:,?\s+and\s+${DAY})?)`;
const UNIT = String.raw`(?<unit>second|minute|hour|day|week|(?<count>\d+) (?:seconds|minutes|hours|days|weeks))`;
const TYPES = String.raw`(?<types>[\p{L}\p{N}_ ,]+?)`;

/** Bounds the work of matching one sentence against every form. */
export const MAX_SENTENCE_CHARS = 4096;

const re = (body: string) => new RegExp(`^${body}$`, 'iu');

const FORMS: SentenceForm[] = [
  {
    form: 'Never allow <tools>.',
    example: 'Never allow execute_shell.',
    pattern: re(String.raw`never allow ${TOOLS}`),
    build: (g) => ({ kind: 'deny_tools', tools: toolList(g.tools) }),
  },
  {
    form: 'Only allow <tools>.',
    example: 'Only allow get_telemetry, read_logs and propose_action.',
    pattern: re(String.raw`(?:only allow|allow only) ${TOOLS}`),
    build: (g) => ({ kind: 'allow_tools', tools: toolList(g.tools) }),
  },
  {
    form: 'Allow no tools.',
    example: 'Allow no tools.',
    pattern: re(String.raw`allow no tools`),
    build: () => ({ kind: 'allow_tools', tools: [] }),
  },
  {
    form: 'Require human review for <tools>.',
    example: 'Require human review for isolate_vlan.',
    pattern: re(String.raw`require (?:a )?human review for ${TOOLS}`),
    build: (g) => ({ kind: 'review_tools', tools: toolList(g.tools) }),
  },
  {
    form: 'Agent <agent id> may call <tools>.',
    example: 'Agent ops-bot may call restart_workload and migrate_vm.',
    pattern: re(String.raw`agent (?<name>[A-Za-z0-9_.:@\-]+) may call ${TOOLS}`),
    build: (g) => ({ kind: 'grant', subject: 'agent', name: g.name ?? '', tools: toolList(g.tools) }),
  },
  {
    form: 'Role <role> may call <tools>.',
    example: 'Role operator may call get_telemetry and read_logs.',
    pattern: re(String.raw`(?:role|agents with role) (?<name>[A-Za-z0-9_.:@\-]+) may call ${TOOLS}`),
    build: (g) => ({ kind: 'grant', subject: 'role', name: g.name ?? '', tools: toolList(g.tools) }),
  },
  {
    form: 'Agents below T<n> may not call <tools>.',
    example: 'Agents below T3 may not call restart_workload.',
    pattern: re(String.raw`agents below (?<tier>T[0-7]) may not call ${TOOLS}`),
    build: (g) => ({
      kind: 'min_tier',
      tools: toolList(g.tools),
      tier: (g.tier ?? '').toUpperCase() as 'T0',
    }),
  },
  {
    form: 'Only allow <tools> between <HH:MM> and <HH:MM> <IANA zone> on <days>.',
    example: 'Only allow place_trade between 09:30 and 16:00 America/New_York on weekdays.',
    pattern: re(
      String.raw`(?:only allow|allow only) ${TOOLS} between (?<start>${TIME}) and (?<end>${TIME}) ${ZONE}(?: on ${DAYS}| every day)?`,
    ),
    build: (g) => ({
      kind: 'window',
      tools: toolList(g.tools),
      zone: g.zone ?? '',
      days: dayList(g.days),
      start: padTime(g.start),
      end: padTime(g.end),
    }),
  },
  {
    form: 'Limit <tools> to <N> calls per <period> [per agent | per tool | in total].',
    example: 'Limit send_email to 10 calls per hour per agent.',
    pattern: re(
      String.raw`limit ${TOOLS} to (?<max>\d+) calls? per ${UNIT}(?: (?<per>per agent|per tool|in total|globally))?`,
    ),
    build: (g) => ({
      kind: 'rate_limit',
      tools: toolList(g.tools),
      max_calls: Number(g.max),
      window_seconds: periodSeconds(g.unit, g.count),
      per: g.per === 'per agent' ? 'agent' : g.per === 'per tool' ? 'tool' : 'global',
    }),
  },
  {
    form: 'Limit the output of <tools> to <N> <bytes | KB | MB>.',
    example: 'Limit the output of search_web to 64 KB.',
    pattern: re(String.raw`limit the output of ${TOOLS} to (?<n>\d+) ?(?<size>bytes|kb|mb)`),
    build: (g) => ({
      kind: 'max_output',
      tools: toolList(g.tools),
      max_bytes: Number(g.n) * ({ bytes: 1, kb: 1024, mb: 1024 * 1024 }[(g.size ?? '').toLowerCase()] ?? 0),
    }),
  },
  {
    form: 'Limit the cost of <tools> to <N> per <period> per agent at <C> per call.',
    example: 'Limit the cost of search_web to 5 per day per agent at 0.01 per call.',
    pattern: re(
      String.raw`limit the cost of ${TOOLS} to (?<max>${NUMBER}) per ${UNIT} per agent,? at (?<each>${NUMBER}) per call`,
    ),
    build: (g) => ({
      kind: 'budget',
      tools: toolList(g.tools),
      max_cost: Number(g.max),
      period_seconds: periodSeconds(g.unit, g.count),
      cost: { per_call: Number(g.each) },
    }),
  },
  {
    form: 'Limit the cost of <tools> to <N> per <period> per agent, counting argument <arg>.',
    example: 'Limit the cost of place_trade to 10000 per day per agent, counting argument amount.',
    pattern: re(
      String.raw`limit the cost of ${TOOLS} to (?<max>${NUMBER}) per ${UNIT} per agent,? counting (?:the )?argument (?<arg>[A-Za-z_][A-Za-z0-9_]*)`,
    ),
    build: (g) => ({
      kind: 'budget',
      tools: toolList(g.tools),
      max_cost: Number(g.max),
      period_seconds: periodSeconds(g.unit, g.count),
      cost: { argument: g.arg ?? '' },
    }),
  },
  {
    form: '<Redact | Deny | Allow> <data types> in the <input | output> of <tools>.',
    example: 'Redact PII in the output of search_web.',
    pattern: re(
      String.raw`(?<action>redact|deny|allow) ${TYPES} in the (?<dir>input|output|arguments) of ${TOOLS}`,
    ),
    build: (g) => {
      const types = dataTypes(g.types);
      if (typeof types === 'string') return types;
      const action = (g.action ?? '').toLowerCase() as 'redact';
      const direction = g.dir?.toLowerCase() === 'output' ? 'output' : 'input';
      return { kind: 'data', tools: toolList(g.tools), direction, types, action };
    },
  },
  {
    form: 'Deny any action whose <arguments | output> contain <data types>.',
    example: 'Deny any action whose arguments contain a credit card number.',
    pattern: re(String.raw`deny any action whose (?<dir>arguments|input|output) contains? ${TYPES}`),
    build: (g) => {
      const types = dataTypes(g.types);
      if (typeof types === 'string') return types;
      const direction = g.dir?.toLowerCase() === 'output' ? 'output' : 'input';
      return { kind: 'data', tools: [ANY_TOOL], direction, types, action: 'deny' };
    },
  },
  {
    form: 'Allow <tools> only for domains ending in <.suffix>[, <.suffix> ...].',
    example: 'Allow fetch_url only for domains ending in .wikipedia.org.',
    pattern: re(String.raw`allow ${TOOLS} only for domains ending in ${LIST('domains')}`),
    build: (g) => ({
      kind: 'domains',
      tools: toolList(g.tools),
      domains: splitList(g.domains).map((d) => (d.startsWith('.') ? d : `.${d}`)),
    }),
  },
  {
    form: 'Allow <tools> only for the domain(s) <domain>[, <domain> ...].',
    example: 'Allow fetch_url only for the domains example.com and api.example.com.',
    pattern: re(String.raw`allow ${TOOLS} only for the domains? ${LIST('domains')}`),
    build: (g) => ({ kind: 'domains', tools: toolList(g.tools), domains: splitList(g.domains) }),
  },
  {
    form: 'Require argument <arg> of <tools> to equal <value>.',
    example: 'Require argument site of restart_workload to equal sj-01.',
    pattern: re(
      String.raw`require (?:the )?argument (?<arg>[A-Za-z0-9_.]+) of ${TOOLS} to (?:equal|be) (?<value>"[^"]*"|[^\s"]+)`,
    ),
    build: (g) => ({
      kind: 'argument',
      tools: toolList(g.tools),
      arg: g.arg ?? '',
      constraint: { equals: literal(g.value ?? '') },
    }),
  },
  {
    form: 'Require argument <arg> of <tools> to be between <min> and <max>.',
    example: 'Require argument percent of throttle_power to be between 0 and 50.',
    pattern: re(
      String.raw`require (?:the )?argument (?<arg>[A-Za-z0-9_.]+) of ${TOOLS} to be between (?<min>-?${NUMBER}) and (?<max>-?${NUMBER})`,
    ),
    build: (g) => ({
      kind: 'argument',
      tools: toolList(g.tools),
      arg: g.arg ?? '',
      constraint: { minimum: Number(g.min), maximum: Number(g.max) },
    }),
  },
  {
    form: 'Require argument <arg> of <tools> to be at <most | least> <N>.',
    example: 'Require argument percent of throttle_power to be at most 50.',
    pattern: re(
      String.raw`require (?:the )?argument (?<arg>[A-Za-z0-9_.]+) of ${TOOLS} to be at (?<side>most|least) (?<n>-?${NUMBER})`,
    ),
    build: (g) => ({
      kind: 'argument',
      tools: toolList(g.tools),
      arg: g.arg ?? '',
      constraint: g.side?.toLowerCase() === 'most' ? { maximum: Number(g.n) } : { minimum: Number(g.n) },
    }),
  },
  {
    form: 'Require argument <arg> of <tools> to match "<regular expression>".',
    example: 'Require argument query of search_web to match "^[a-z0-9 ]+$".',
    pattern: re(
      String.raw`require (?:the )?argument (?<arg>[A-Za-z0-9_.]+) of ${TOOLS} to match "(?<re>[^"]*)"`,
    ),
    build: (g) => ({
      kind: 'argument',
      tools: toolList(g.tools),
      arg: g.arg ?? '',
      constraint: { pattern: g.re ?? '' },
    }),
  },
  {
    form: 'Require argument <arg> of <tools> to be a path under <absolute path>.',
    example: 'Require argument path of read_file to be a path under /var/log.',
    pattern: re(
      String.raw`require (?:the )?argument (?<arg>[A-Za-z0-9_.]+) of ${TOOLS} to be a path under (?<prefix>\/\S*)`,
    ),
    build: (g) => ({
      kind: 'argument',
      tools: toolList(g.tools),
      arg: g.arg ?? '',
      constraint: { path_prefix: g.prefix ?? '' },
    }),
  },
  {
    form: 'Require the output of <tools> to match the JSON schema <schema as JSON>.',
    example: 'Require the output of get_telemetry to match the JSON schema {"type": "object"}.',
    pattern: re(String.raw`require the output of ${TOOLS} to match the (?:json )?schema (?<json>\{.*\})`),
    build: (g) => {
      try {
        return { kind: 'output_schema', tools: toolList(g.tools), schema: JSON.parse(g.json ?? '') as never };
      } catch {
        return 'the schema is not valid JSON';
      }
    },
  },
  {
    form: 'Extend <policy name>.',
    example: 'Extend base-policy.',
    pattern: re(String.raw`extends? (?<name>[A-Za-z0-9_.:@\/\-]+)`),
    build: (g) => ({ extendsPolicy: g.name ?? '' }),
  },
  {
    form: 'This policy is called <name>.',
    example: 'This policy is called ops-policy.',
    pattern: re(String.raw`this policy is (?:called|named) (?<name>[A-Za-z0-9_.:@\/\-]+)`),
    build: (g) => ({ policyName: g.name ?? '' }),
  },
];

/** Every sentence form, for the documentation and `carapace policy` help. */
export const SENTENCE_FORMS: readonly { form: string; example: string }[] = FORMS.map(
  ({ form, example }) => ({
    form,
    example,
  }),
);

export interface Sentence {
  text: string;
  line: number;
  column: number;
}

/**
 * Splits text into sentences: a sentence ends at a period followed by white space or the end, outside
 * quotes and brackets. `#` starts a comment to the end of the line. Positions are 1-based.
 */
export function splitSentences(text: string): Sentence[] | PolicyError {
  const out: Sentence[] = [];
  let line = 1;
  let column = 1;
  let current = '';
  let start: { line: number; column: number } | null = null;
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '#' && !quoted && depth === 0 && current.trim() === '') {
      while (i < text.length && text[i] !== '\n') i++;
      line++;
      column = 1;
      continue;
    }
    if (start === null && !/\s/.test(c)) start = { line, column };
    if (start !== null) current += c;
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '{' || c === '[')) depth++;
    else if (!quoted && (c === '}' || c === ']')) depth = Math.max(0, depth - 1);
    else if (
      c === '.' &&
      !quoted &&
      depth === 0 &&
      (i + 1 === text.length || /\s/.test(text[i + 1] as string))
    ) {
      if (start) out.push({ text: current.replace(/\s+/g, ' ').trim(), ...start });
      current = '';
      start = null;
    }
    if (c === '\n') {
      line++;
      column = 1;
    } else column++;
  }
  if (start !== null && current.trim() !== '')
    return {
      ...compileError(`sentence does not end with a period: "${current.trim()}"`, start),
      closest: closestForm(current.trim()),
    };
  return out;
}

/** Compiles English policy text to rule bodies with their sentences; all errors are reported, not the first. */
export function lowerEnglishPolicy(
  text: string,
  defaultName = 'english-policy',
): PolicyResult<LoweredDocument> {
  const sentences = splitSentences(text);
  if (!Array.isArray(sentences)) return { ok: false, errors: [sentences] };
  const errors: PolicyError[] = [];
  const doc: LoweredDocument = { name: defaultName, extends: [], rules: [] };
  for (const s of sentences) {
    const body = s.text.slice(0, -1).trim();
    const where = { line: s.line, column: s.column };
    if (s.text.length > MAX_SENTENCE_CHARS) {
      errors.push(compileError(`sentence is longer than ${MAX_SENTENCE_CHARS} characters`, where));
      continue;
    }
    const hits = FORMS.map((f) => ({ f, m: f.pattern.exec(body) })).filter((h) => h.m !== null);
    if (hits.length === 0) {
      const closest = closestForm(s.text);
      errors.push({
        ...compileError(`unknown sentence "${s.text}"; closest known form: ${closest}`, where),
        closest,
      });
      continue;
    }
    if (hits.length > 1) {
      errors.push(
        compileError(
          `ambiguous sentence "${s.text}": reads as ${hits.map((h) => h.f.form).join(' and as ')}`,
          where,
        ),
      );
      continue;
    }
    const { f, m } = hits[0] as { f: SentenceForm; m: RegExpExecArray };
    const built = f.build(m.groups ?? {});
    if (typeof built === 'string') {
      errors.push(compileError(`${built} in "${s.text}" (form: ${f.form})`, where));
      continue;
    }
    if ('extendsPolicy' in built) {
      doc.extends.push(built.extendsPolicy);
      continue;
    }
    if ('policyName' in built) {
      doc.name = built.policyName;
      continue;
    }
    const checked = checkRuleBody(built, `line ${s.line}`);
    if (typeof checked === 'string') {
      errors.push(compileError(`${checked} in "${s.text}" (form: ${f.form})`, where));
      continue;
    }
    doc.rules.push({
      body: checked,
      source: { form: 'english', sentence: s.text, line: s.line, column: s.column },
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: doc };
}

/** The sentence form whose example is nearest to `sentence` by word-level edit distance. */
export function closestForm(sentence: string): string {
  const words = tokenize(sentence);
  let best = FORMS[0] as SentenceForm;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const f of FORMS) {
    const d = editDistance(words, tokenize(f.example));
    if (d < bestDistance) {
      best = f;
      bestDistance = d;
    }
  }
  return best.form;
}

function tokenize(s: string): string[] {
  return s
    .toLowerCase()
    .replace(/[.,]+(\s|$)/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .slice(0, 64);
}

function editDistance(a: readonly string[], b: readonly string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

function splitList(s: string | undefined): string[] {
  return (s ?? '')
    .split(/\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+/i)
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

function toolList(s: string | undefined): string[] {
  if (/^(any tool|any action|all tools|every tool)$/i.test(s ?? '')) return [ANY_TOOL];
  return splitList(s);
}

const DAY_INDEX: Record<string, Weekday> = Object.fromEntries(WEEKDAYS.map((d) => [d, d]));

function dayList(s: string | undefined): Weekday[] {
  const v = (s ?? 'every day').toLowerCase();
  if (v === 'weekdays') return ['mon', 'tue', 'wed', 'thu', 'fri'];
  if (v === 'weekends') return ['sat', 'sun'];
  if (v === 'every day') return [...WEEKDAYS];
  return splitList(v).map((d) => DAY_INDEX[d.slice(0, 3)] ?? (d as Weekday));
}

function padTime(t: string | undefined): string {
  return (t ?? '').padStart(5, '0');
}

const UNIT_SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 };

function periodSeconds(unit: string | undefined, count: string | undefined): number {
  const u = (unit ?? '').toLowerCase();
  if (count !== undefined) {
    const base = u.split(' ')[1]?.replace(/s$/, '') ?? '';
    return Number(count) * (UNIT_SECONDS[base] ?? Number.NaN);
  }
  return UNIT_SECONDS[u] ?? Number.NaN;
}

/** English names of data types; an upper-case finding type (CREDIT_CARD) is also accepted as is. */
const TYPE_PHRASES: [RegExp, string][] = [
  [/^(pii|personal data|personal information)$/i, 'PII'],
  [/^(secrets?|credentials?)$/i, 'SECRET'],
  [/^(credit card numbers?|credit cards?|card numbers?)$/i, 'CREDIT_CARD'],
  [/^email(?: address(?:es)?)?s?$/i, 'EMAIL_ADDRESS'],
  [/^phone numbers?$/i, 'PHONE_NUMBER'],
  [/^(social security numbers?|ssns?)$/i, 'US_SSN'],
  [/^ibans?$/i, 'IBAN_CODE'],
  [/^ip address(?:es)?$/i, 'IP_ADDRESS'],
  [/^passport numbers?$/i, 'PASSPORT'],
  [/^street address(?:es)?$/i, 'STREET_ADDRESS'],
  [/^dates? of birth$/i, 'DATE_OF_BIRTH'],
  [/^(person names?|names of people)$/i, 'PERSON'],
];

function dataTypes(s: string | undefined): string[] | string {
  const out: string[] = [];
  for (const raw of splitList(s)) {
    const phrase = raw.replace(/^(?:an?|any)\s+/i, '');
    const hit = TYPE_PHRASES.find(([p]) => p.test(phrase));
    if (hit) out.push(hit[1]);
    else if (/^[A-Z][A-Z0-9_]*$/.test(phrase)) out.push(phrase);
    else
      return `unknown data type "${raw}" (say PII, secrets, credit card numbers, email addresses, … or a type like CREDIT_CARD)`;
  }
  return out;
}

function literal(v: string): string | number | boolean {
  if (v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (v === 'true' || v === 'false') return v === 'true';
  return v;
}
