// Authentication by API key and authorisation by role. Keys are random, shown once, stored only as
// their SHA-256; every route names the roles it admits: no key → 401, wrong role → 403.

import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Principal, PrincipalRole, Store } from '../store/store.js';
import { GatewayError } from './gateway_error.js';

const KEY_PREFIX = 'cpk_';
const KEY_SHAPE = /^cpk_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The principal behind an `Authorization: Bearer <key>` header, or a 401. */
export async function authenticate(store: Store, header: string | undefined): Promise<Principal> {
  const match = /^Bearer\s+(\S+)$/.exec(header ?? '');
  if (!match)
    throw new GatewayError(
      401,
      'E_UNAUTHENTICATED',
      'authentication required',
      'send Authorization: Bearer <api key>',
    );
  const key = match[1] as string;
  const principal = KEY_SHAPE.test(key) ? await store.principalByKeyHash(hashApiKey(key)) : null;
  if (!principal || principal.disabled)
    throw new GatewayError(
      401,
      'E_UNAUTHENTICATED',
      'invalid API key',
      'the key is unknown or its principal is disabled',
    );
  return principal;
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
    principal: Principal | null;
  }
}

/**
 * A route's onRequest hook: authenticate, then check the role, before the body is read. So a caller
 * without a key learns 401 and a caller with the wrong role 403, whatever it sent.
 */
export function admit(store: Store, roles: readonly PrincipalRole[]): onRequestHookHandler {
  return async (request) => admitRequest(store, request, roles);
}

export async function admitRequest(
  store: Store,
  request: FastifyRequest,
  roles: readonly PrincipalRole[],
): Promise<void> {
  const principal = await authenticate(store, request.headers.authorization);
  requireRole(principal, roles);
  request.principal = principal;
}

/** The principal `admit` let through; a route without `admit` is a bug. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url ?? ''} has no admit hook`);
  return request.principal;
}
