// A secret's use policy (DESIGN.md §9, after carapace-oss's per-secret injection policy): where the
// secret may be sent (schemes, hosts, methods, ports, which addresses), how it is injected, and the
// size, rate and time limits of a request that carries it. The normalised policy is bound into the
// sealed record's associated data, so a policy edited on disk, widened or not, no longer unseals.

import { z } from 'zod';
import { sha256Canonical } from '../engine/hash.js';
import { VaultError } from './errors.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A DNS name in ASCII (IDNs as punycode) or an IPv4 literal, lower case. */
const HOSTNAME =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** An HTTP field name (RFC 9110 token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** Where the secret goes in a header value. */
export const SECRET_PLACEHOLDER = '{secret}';

/** Headers the broker never injects a secret into: they steer routing or framing, not authentication. */
const NOT_INJECTABLE =
  /^(?:host|content-length|transfer-encoding|connection|keep-alive|te|trailer|upgrade|expect|proxy-.*|forwarded|x-forwarded-.*)$/i;

/** The most any policy may allow; the defaults are what a policy gets when it says nothing. */
export const LIMIT_CEILINGS = {
  req_bytes: 10 * 1024 * 1024,
  resp_bytes: 10 * 1024 * 1024,
  rpm: 10_000,
  // Below the gateway's 30 s executor timeout, so the broker reports its own timeout first.
  timeout_ms: 25_000,
} as const;
const LIMIT_DEFAULTS = { req_bytes: 1024 * 1024, resp_bytes: 5 * 1024 * 1024, rpm: 60, timeout_ms: 20_000 };

const hostRule = z.strictObject({
  match: z.enum(['exact', 'subdomain']),
  value: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.string().regex(HOSTNAME, 'must be a lower-case DNS name (punycode) or an IPv4 literal')),
});

const policyInput = z.strictObject({
  v: z.literal(1).default(1),
  schemes: z
    .array(z.enum(['https', 'http']))
    .min(1)
    .max(2)
    .default(['https']),
  hosts: z.array(hostRule).min(1).max(64),
  methods: z
    .array(
      z
        .string()
        .transform((m) => m.toUpperCase())
        .pipe(z.enum(HTTP_METHODS)),
    )
    .min(1)
    .max(HTTP_METHODS.length),
  ports: z.array(z.number().int().min(1).max(65_535)).min(1).max(16).optional(),
  /** `public` refuses private, loopback, link-local and other non-global addresses; `any` allows them. */
  addresses: z.enum(['public', 'any']).default('public'),
  inject: z.strictObject({
    kind: z.literal('header'),
    name: z
      .string()
      .regex(HEADER_NAME, 'must be an HTTP header name')
      .refine(
        (n) => !NOT_INJECTABLE.test(n),
        'this header steers routing or framing; a secret is never put there',
      ),
    template: z
      .string()
      .min(SECRET_PLACEHOLDER.length)
      .max(1024)
      .regex(/^[\x20-\x7e]*$/, 'must be printable ASCII without line breaks')
      .refine(
        (t) => t.split(SECRET_PLACEHOLDER).length === 2,
        `must hold ${SECRET_PLACEHOLDER} exactly once`,
      ),
  }),
  limits: z
    .strictObject({
      req_bytes: z.number().int().min(0).max(LIMIT_CEILINGS.req_bytes).optional(),
      resp_bytes: z.number().int().min(1).max(LIMIT_CEILINGS.resp_bytes).optional(),
      rpm: z.number().int().min(1).max(LIMIT_CEILINGS.rpm).optional(),
      timeout_ms: z.number().int().min(100).max(LIMIT_CEILINGS.timeout_ms).optional(),
    })
    .default({}),
});

/** A policy with every field present, lists sorted and de-duplicated: the form that is sealed. */
export interface SecretPolicy {
  v: 1;
  schemes: ('http' | 'https')[];
  hosts: { match: 'exact' | 'subdomain'; value: string }[];
  methods: HttpMethod[];
  ports: number[];
  addresses: 'public' | 'any';
  inject: { kind: 'header'; name: string; template: string };
  limits: { req_bytes: number; resp_bytes: number; rpm: number; timeout_ms: number };
}

/**
 * Checks a policy as an operator writes it (YAML or JSON; omitted fields take their defaults: HTTPS
 * only, the scheme's default ports, public addresses only) and returns its normalised form. Unknown
 * fields are refused, never ignored (E_VAULT_POLICY_INVALID).
 */
export function parseSecretPolicy(source: unknown): SecretPolicy {
  const parsed = policyInput.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : '(policy)';
    throw new VaultError('E_VAULT_POLICY_INVALID', `policy.${path}: ${issue?.message ?? 'invalid'}`);
  }
  const p = parsed.data;
  const sortedUnique = <T>(xs: readonly T[]) => [...new Set(xs)].sort();
  const ports = p.ports ?? p.schemes.map((s) => (s === 'https' ? 443 : 80));
  const hosts = new Map(p.hosts.map((h) => [`${h.match} ${h.value}`, h]));
  return {
    v: 1,
    schemes: sortedUnique(p.schemes),
    hosts: [...hosts.keys()].sort().map((k) => hosts.get(k) as SecretPolicy['hosts'][number]),
    methods: sortedUnique(p.methods),
    ports: [...new Set(ports)].sort((a, b) => a - b),
    addresses: p.addresses,
    inject: { kind: 'header', name: p.inject.name.toLowerCase(), template: p.inject.template },
    limits: { ...LIMIT_DEFAULTS, ...p.limits },
  };
}

/** `sha256:` of the policy's RFC 8785 JSON: how the audit and `secrets list` name a policy. */
export function secretPolicyHash(policy: SecretPolicy): string {
  return sha256Canonical(policy);
}

/** True when `host` (lower case) is one the policy names. */
export function policyAllowsHost(policy: SecretPolicy, host: string): boolean {
  return policy.hosts.some((h) => (h.match === 'exact' ? host === h.value : host.endsWith(`.${h.value}`)));
}

/** Secret ids: what the audit, the CLI and an agent's `secret` argument name a secret by. */
export const SECRET_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function checkSecretId(id: unknown): string {
  if (typeof id !== 'string' || !SECRET_ID.test(id))
    throw new VaultError('E_VAULT_ID_INVALID', `a secret id must match ${SECRET_ID.source}`);
  return id;
}
