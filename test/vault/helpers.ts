// Shared by the vault tests: a fresh data directory, a test master key (named as one, never a real
// key), and the canary secret whose every appearance the leakage tests look for.

import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** TEST ONLY: a fixed master key for tests that need one in the environment. */
export const TEST_MASTER_KEY_HEX = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

/** The canary: a GitHub-style token that must never reach an agent, a log line, an audit entry or a file. */
export const CANARY = 'ghp_CanaryToken0123456789abcdefABCDEF0123';

export function freshDataDir(prefix = 'carapace-vault-'): string {
  return join(mkdtempSync(join(tmpdir(), prefix)), 'data');
}

/** A policy for a GitHub-style API on the given host and port. */
export function githubPolicy(host = 'api.github.com', extra: Record<string, unknown> = {}) {
  return {
    hosts: [{ match: 'exact', value: host }],
    methods: ['GET', 'POST'],
    inject: { kind: 'header', name: 'Authorization', template: 'Bearer {secret}' },
    ...extra,
  };
}

/** Every form of `secret` a leak could take in a file: raw, base64, base64url, hex, URL-encoded, JSON-escaped. */
export function encodedForms(secret: string): string[] {
  const b = Buffer.from(secret, 'utf8');
  return [
    secret,
    b.toString('base64').replace(/=+$/, ''),
    b.toString('base64url'),
    b.toString('hex'),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ];
}

/** Every regular file under `dir`, recursively, with its bytes. */
export function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (statSync(path).isFile()) out.push({ path, bytes: readFileSync(path) });
  }
  return out;
}

/** The files under `dir` holding any form of `secret`, and which form. */
export function leaksIn(dir: string, secret: string): string[] {
  const forms = encodedForms(secret);
  return filesUnder(dir).flatMap(({ path, bytes }) => {
    const text = bytes.toString('latin1');
    return forms.filter((f) => text.includes(f)).map((f) => `${path}: ${f === secret ? 'raw' : 'encoded'}`);
  });
}
