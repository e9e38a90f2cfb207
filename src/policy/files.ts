// Policy files: the one place in the policy module that reads the disk. A file's format follows its
// extension; a policy it extends is looked up beside it by name. Everything else stays pure.

import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { compilePolicy, MAX_POLICY_CHARS, type PolicyText } from './compile.js';
import { compileError, type PolicyResult } from './errors.js';
import type { CompiledPolicy } from './model.js';

/** Extensions by format, in the order a base named in `extends` is looked for beside the file. */
export const POLICY_EXTENSIONS = {
  yaml: ['.yaml', '.yml'],
  data: ['.json'],
  english: ['.policy', '.txt', '.en'],
} as const;

const ALL_EXTENSIONS = [...POLICY_EXTENSIONS.yaml, ...POLICY_EXTENSIONS.data, ...POLICY_EXTENSIONS.english];

/** The policy in `path` as compiler input, or null when the file does not exist or cannot be read. */
export function readPolicyText(path: string): PolicyResult<PolicyText> {
  const ext = extname(path).toLowerCase();
  if (!(ALL_EXTENSIONS as string[]).includes(ext))
    return {
      ok: false,
      errors: [compileError(`${path}: unknown policy file type "${ext}" (use ${ALL_EXTENSIONS.join(', ')})`)],
    };
  let text: string;
  try {
    if (statSync(path).size > MAX_POLICY_CHARS * 4)
      return { ok: false, errors: [compileError(`${path}: larger than ${MAX_POLICY_CHARS} characters`)] };
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return {
      ok: false,
      errors: [compileError(`${path}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`)],
    };
  }
  if ((POLICY_EXTENSIONS.yaml as readonly string[]).includes(ext))
    return { ok: true, value: { format: 'yaml', text } };
  if ((POLICY_EXTENSIONS.english as readonly string[]).includes(ext))
    return { ok: true, value: { format: 'english', text, name: basename(path, extname(path)) } };
  try {
    return { ok: true, value: { format: 'data', data: JSON.parse(text) as unknown } };
  } catch (e) {
    return { ok: false, errors: [compileError(`${path}: JSON: ${(e as Error).message}`)] };
  }
}

/**
 * Compiles the policy in `path`; `extends: [name]` (or "Extend name.") finds `<dir>/<name>.<ext>` for
 * the first extension above that exists. An English policy without "This policy is called ..." is
 * named after its file.
 */
export function compilePolicyFile(path: string): PolicyResult<CompiledPolicy> {
  const top = readPolicyText(path);
  if (!top.ok) return top;
  const dir = dirname(path);
  let failure: PolicyResult<CompiledPolicy> | null = null;
  const resolve = (name: string): PolicyText | null => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) || name.includes('..')) return null;
    for (const ext of ALL_EXTENSIONS) {
      const candidate = join(dir, `${name}${ext}`);
      if (!isFile(candidate)) continue;
      const src = readPolicyText(candidate);
      if (!src.ok) {
        failure ??= src;
        return null;
      }
      return src.value;
    }
    return null;
  };
  const result = compilePolicy(top.value, { resolve });
  return !result.ok && failure !== null ? failure : result;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
