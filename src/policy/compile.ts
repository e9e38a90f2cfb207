// Compiles a policy (YAML, JSON data or English) and the policies it extends into layers of rules,
// identified by sha256 over RFC 8785 canonical JSON. Pure: bases are fetched through a resolver the
// caller supplies, so loading files stays outside.

import { canonicalJson } from '../engine/canonical_json.js';
import { sha256Canonical } from '../engine/hash.js';
import { type LoweredDocument, lowerPolicyDocument, lowerYamlPolicy } from './document.js';
import { lowerEnglishPolicy } from './english.js';
import { compileError, type PolicyResult } from './errors.js';
import type { CompiledPolicy, PolicyLayer, PolicyRule, RuleBody } from './model.js';

export type PolicyText =
  | { format: 'yaml'; text: string }
  | { format: 'english'; text: string; name?: string }
  | { format: 'data'; data: unknown };

export interface CompileOptions {
  /** Returns the policy named in an `extends`, or null when there is none by that name. */
  resolve?: (name: string) => PolicyText | null;
}

export const MAX_LAYERS = 16;
export const MAX_RULES = 4096;

export const MAX_POLICY_CHARS = 1_000_000;

function lower(src: PolicyText): PolicyResult<LoweredDocument> {
  if (src.format !== 'data' && src.text.length > MAX_POLICY_CHARS)
    return { ok: false, errors: [compileError(`policy text is longer than ${MAX_POLICY_CHARS} characters`)] };
  if (src.format === 'yaml') return lowerYamlPolicy(src.text);
  if (src.format === 'english') return lowerEnglishPolicy(src.text, src.name);
  return lowerPolicyDocument(src.data);
}

/** Compiles a policy and, first, every policy it extends (each once, bases before what extends them). */
export function compilePolicy(src: PolicyText, options: CompileOptions = {}): PolicyResult<CompiledPolicy> {
  const top = lower(src);
  if (!top.ok) return top;
  const layers: PolicyLayer[] = [];
  const done = new Set<string>();
  let ruleCount = 0;

  const visit = (doc: LoweredDocument, chain: string[]): PolicyResult<null> => {
    if (chain.includes(doc.name))
      return { ok: false, errors: [compileError(`extends cycle: ${[...chain, doc.name].join(' → ')}`)] };
    if (done.has(doc.name)) return { ok: true, value: null };
    for (const parentName of doc.extends) {
      if (chain.includes(parentName) || parentName === doc.name)
        return {
          ok: false,
          errors: [compileError(`extends cycle: ${[...chain, doc.name, parentName].join(' → ')}`)],
        };
      if (done.has(parentName)) continue;
      const parentSrc = options.resolve?.(parentName) ?? null;
      if (parentSrc === null)
        return {
          ok: false,
          errors: [compileError(`policy "${doc.name}" extends "${parentName}", which is not known`)],
        };
      const parent = lower(parentSrc);
      if (!parent.ok)
        return {
          ok: false,
          errors: parent.errors.map((e) => ({ ...e, detail: `in "${parentName}": ${e.detail}` })),
        };
      if (parent.value.name !== parentName)
        return {
          ok: false,
          errors: [compileError(`"${parentName}" resolved to a policy named "${parent.value.name}"`)],
        };
      const r = visit(parent.value, [...chain, doc.name]);
      if (!r.ok) return r;
    }
    done.add(doc.name);
    ruleCount += doc.rules.length;
    layers.push({
      name: doc.name,
      rules: doc.rules.map(
        ({ body, source }, i) => ({ ...body, id: `${doc.name}#${i + 1}`, source }) as PolicyRule,
      ),
    });
    return { ok: true, value: null };
  };
  const r = visit(top.value, []);
  if (!r.ok) return r;
  if (layers.length > MAX_LAYERS)
    return { ok: false, errors: [compileError(`more than ${MAX_LAYERS} policies in the extends chain`)] };
  if (ruleCount > MAX_RULES) return { ok: false, errors: [compileError(`more than ${MAX_RULES} rules`)] };

  const hashed = { format: 'carapace-policy/1' as const, name: top.value.name, layers };
  return {
    ok: true,
    value: {
      ...hashed,
      hash: sha256Canonical(hashed),
      rules_hash: rulesHash(layers),
    },
  };
}

/**
 * What a layer means, independent of how it was written: rule order does not matter, and tool lists of
 * one kind (deny, allow, review) are unions within a layer, so `Never allow a.` + `Never allow b.` means
 * the same as `deny: [a, b]`.
 */
function rulesHash(layers: PolicyLayer[]): string {
  return sha256Canonical(
    layers.map((l) => {
      const lists = new Map<string, Set<string>>();
      const others: string[] = [];
      for (const r of l.rules) {
        if (r.kind === 'deny_tools' || r.kind === 'allow_tools' || r.kind === 'review_tools') {
          const set = lists.get(r.kind) ?? new Set<string>();
          for (const t of r.tools) set.add(t);
          lists.set(r.kind, set);
        } else others.push(canonicalJson(ruleBody(r)));
      }
      for (const [kind, tools] of lists) others.push(canonicalJson({ kind, tools: [...tools].sort() }));
      return others.sort();
    }),
  );
}

/** A rule without its id and source: what it means, not where it was written. */
export function ruleBody(rule: PolicyRule): RuleBody {
  const { id: _id, source: _source, ...body } = rule;
  return body as RuleBody;
}
