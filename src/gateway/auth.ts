// Authentication and authorisation. A caller presents an API key (`Authorization: Bearer <key>`) or a
// DPoP-bound access token with a proof of its key (`Authorization: DPoP <token>` and `DPoP: <proof>`,
// RFC 9449). Keys are random, shown once, stored only as their SHA-256. Revoked or disabled principals
// are refused; a principal that must use DPoP may use its key only to obtain a token. Every route names
// the roles it admits: no valid credential → 401, wrong role → 403.

import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { JWK } from 'jose';
import { verifyAccessToken } from '../identity/access_token.js';
import { verifyDpopProof } from '../identity/dpop_proof.js';
import { IdentityError } from '../identity/errors.js';
import type { Principal, PrincipalRole, Store } from '../store/store.js';
import type { GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { refuseMachineOnControl } from './planes.js';

const KEY_PREFIX = 'cpk_';
const KEY_SHAPE = /^cpk_[A-Za-z0-9_-]{43}$/;

/** The route where an API key obtains a DPoP-bound access token. */
export const TOKEN_ROUTE = '/v1/token';

/** An authenticated caller: the principal, and the DPoP key it proved (thumbprint and JWK), if it did. */
export type Caller = Principal & { dpop_jkt?: string; dpop_jwk?: JWK };

export function generateApiKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The principal behind an `Authorization: Bearer <key>` header read straight from the store, or a 401. */
export async function authenticate(store: Store, header: string | undefined): Promise<Principal> {
  const key = bearerKey(header);
  return usable(KEY_SHAPE.test(key) ? await store.principalByKeyHash(hashApiKey(key)) : null);
}

function bearerKey(header: string | undefined): string {
  const match = /^Bearer\s+(\S+)$/.exec(header ?? '');
  if (!match)
    throw new GatewayError(
      401,
      'E_UNAUTHENTICATED',
      'authentication required',
      'send Authorization: Bearer <api key>, or Authorization: DPoP <access token> with a DPoP proof',
    );
  return match[1] as string;
}

function usable(principal: Principal | null): Principal {
  if (!principal || principal.disabled || principal.revoked_at !== undefined)
    throw new GatewayError(
      401,
      'E_UNAUTHENTICATED',
      'invalid credentials',
      'the key or token is unknown, or its principal is disabled or revoked',
    );
  return principal;
}

/** The caller of `request`: by API key, or by DPoP access token and proof. Throws 401s. */
export async function authenticateRequest(ctx: GatewayContext, request: FastifyRequest): Promise<Caller> {
  const header = request.headers.authorization;
  const dpop = /^DPoP\s+(\S+)$/.exec(header ?? '');
  if (dpop) return dpopCaller(ctx, request, dpop[1] as string);
  const key = bearerKey(header);
  const principal = usable(
    KEY_SHAPE.test(key) ? await ctx.identity.principals.byKeyHash(hashApiKey(key)) : null,
  );
  if (principal.dpop_required && request.routeOptions.url !== TOKEN_ROUTE)
    throw new GatewayError(
      401,
      'E_DPOP_REQUIRED',
      'this principal must use DPoP',
      `obtain an access token at POST ${TOKEN_ROUTE} with a DPoP proof, then call with Authorization: DPoP <token>`,
    );
  return principal;
}

async function dpopCaller(ctx: GatewayContext, request: FastifyRequest, token: string): Promise<Caller> {
  const now = ctx.now();
  try {
    const claims = await verifyAccessToken(token, {
      publicKey: ctx.tokenKey.publicKey,
      issuer: ctx.tokenKey.name,
      now,
    });
    const proof = await checkProof(ctx, request, { accessToken: token });
    if (proof.jkt !== claims.cnf.jkt)
      throw new IdentityError(
        'E_DPOP_INVALID',
        'DPoP proof: signed by another key than the token is bound to',
      );
    const principal = usable(await ctx.identity.principals.getById(claims.sub));
    return { ...principal, dpop_jkt: proof.jkt, dpop_jwk: proof.jwk };
  } catch (e) {
    throw asUnauthenticated(ctx, e);
  }
}

/** Verifies the request's DPoP proof (with the server nonce when one is required). */
export async function checkProof(
  ctx: GatewayContext,
  request: FastifyRequest,
  options: { accessToken?: string } = {},
): ReturnType<typeof verifyDpopProof> {
  const { identity } = ctx;
  const now = ctx.now();
  const header = request.headers.dpop;
  return verifyDpopProof(Array.isArray(header) ? undefined : header, {
    method: request.method,
    uri: requestUri(ctx, request),
    now,
    replay: {
      remember: (key, expiresAt, at) =>
        ctx.store.redeemToken(key, new Date(expiresAt).toISOString(), new Date(at).toISOString()),
    },
    ...(options.accessToken !== undefined ? { accessToken: options.accessToken } : {}),
    ...(identity.requireDpopNonce ? { nonce: (n: unknown) => identity.nonces.accepts(n, now) } : {}),
  });
}

/** The absolute URI the caller addressed, without its query: the public origin when one is set. */
export function requestUri(ctx: GatewayContext, request: FastifyRequest): string {
  const path = request.url.split('?', 1)[0] as string;
  const origin = ctx.identity.publicOrigin ?? `${request.protocol}://${request.host}`;
  return `${origin}${path}`;
}

/** An identity failure as the 401 RFC 9449 §7.1 describes; anything else passes through. */
export function asUnauthenticated(ctx: GatewayContext, e: unknown): unknown {
  if (!(e instanceof IdentityError)) return e;
  const error =
    e.code === 'E_DPOP_USE_NONCE'
      ? 'use_dpop_nonce'
      : e.code === 'E_ACCESS_TOKEN_INVALID'
        ? 'invalid_token'
        : 'invalid_dpop_proof';
  return new GatewayError(401, e.code, 'DPoP authentication failed', e.message, {
    'www-authenticate': `DPoP error="${error}", algs="ES256 ES384 EdDSA PS256 RS256"`,
    ...(e.code === 'E_DPOP_USE_NONCE' ? { 'dpop-nonce': ctx.identity.nonces.issue(ctx.now()) } : {}),
  });
}

export function requireRole(principal: Principal, roles: readonly PrincipalRole[]): void {
  if (!roles.includes(principal.role))
    throw new GatewayError(
      403,
      'E_FORBIDDEN',
      'not allowed for this role',
      `${principal.role} may not use this route; it needs ${roles.join(' or ')}`,
    );
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, set by `admit` before the body is parsed or validated. */
    principal: Caller | null;
  }
}

/**
 * A route's onRequest hook: authenticate, then check the role, before the body is read. So a caller
 * without a key learns 401 and a caller with the wrong role 403, whatever it sent.
 */
export function admit(ctx: GatewayContext, roles: readonly PrincipalRole[]): onRequestHookHandler {
  return async (request) => admitRequest(ctx, request, roles);
}

export async function admitRequest(
  ctx: GatewayContext,
  request: FastifyRequest,
  roles: readonly PrincipalRole[],
): Promise<void> {
  const principal = await authenticateRequest(ctx, request);
  await refuseMachineOnControl(ctx, request, principal);
  requireRole(principal, roles);
  request.principal = principal;
}

/** The principal `admit` let through; a route without `admit` is a bug. */
export function principalOf(request: FastifyRequest): Caller {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url ?? ''} has no admit hook`);
  return request.principal;
}
