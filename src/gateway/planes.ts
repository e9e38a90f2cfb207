// Dual-channel authorisation: which routes belong to the control plane (what changes or reads the
// gateway's configuration, and what humans decide) and which to the data plane (what agents and services
// do). With split planes each is served on its own listener; a route asked on the other listener is
// unknown there, and an agent or service credential is refused on the control listener whatever route it
// asks, so a stolen agent key cannot even probe the control plane.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal, PrincipalRole } from '../store/store.js';
import { auditEvent, type GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';

/** Where a route is served: one plane, or both (health, OpenAPI, metrics, and routes every role uses). */
export type Plane = 'control' | 'data';
export type RoutePlane = Plane | 'any';

/** The listener a request came in on; 'both' for a single listener and for in-process (inject) calls. */
export type ListenerPlane = Plane | 'both';

/** Machine principals: their credentials are data-plane credentials and are refused on the control plane. */
export const MACHINE_ROLES: readonly PrincipalRole[] = ['agent', 'service'];

/**
 * Every route by pattern, each with its plane. Admin and approver actions are control; agent actions,
 * ingest, the OpenAI proxy and MCP are data. A pattern not in this table and not under /v1/admin/ is
 * control (fail closed: an agent cannot reach a route nobody classified), and a test lists every
 * registered route so a new one is classified on purpose.
 */
export const ROUTE_PLANES: Readonly<Record<string, RoutePlane>> = {
  // Both: health, the API description, metrics (its own guard), who am I, a review's state (an agent
  // polls its own, an approver any), and the gateway's attestation (agents and verifiers).
  '/healthz': 'any',
  '/readyz': 'any',
  '/v1/openapi.json': 'any',
  '/metrics': 'any',
  '/v1/me': 'any',
  '/v1/reviews/:id': 'any',
  '/v1/attestation': 'any',
  // Data: what agents and services do.
  '/v1/decide': 'data',
  '/v1/actions': 'data',
  '/v1/execute': 'data',
  '/v1/redeem': 'data',
  '/v1/results': 'data',
  '/v1/ingest': 'data',
  '/v1/ingest/image': 'data',
  '/v1/token': 'data',
  '/v1/agents/me': 'data',
  '/v1/agents/me/attestation': 'data',
  '/v1/agents/me/attestation/nonce': 'data',
  '/v1/agents/delegates': 'data',
  '/v1/agents/:id/revoke': 'data',
  '/v1/chat/completions': 'data',
  '/v1/models': 'data',
  '/mcp': 'data',
  // Control: configuration, human decisions, and what an auditor reads.
  '/v1/policy': 'control',
  '/v1/reviews': 'control',
  '/v1/reviews/:id/approve': 'control',
  '/v1/reviews/:id/reject': 'control',
  '/v1/agents/:id/trust': 'control',
  '/v1/audit/entries': 'control',
  '/v1/audit/entries/:seq': 'control',
  '/v1/audit/entries/:seq/receipt': 'control',
  '/v1/audit/checkpoints': 'control',
  '/v1/audit/key': 'control',
  '/v1/audit/witness': 'control',
  '/v1/audit/verify': 'control',
  '/v1/decisions': 'control',
  '/v1/decisions/:seq': 'control',
  '/v1/events': 'control',
  '/v1/demo': 'control',
  '/v1/demo/runs': 'control',
  '/v1/demo/stream': 'control',
  '/v1/mcp/pins': 'control',
  '/v1/mcp/pins/accept': 'control',
  // The console's built assets.
  '/': 'control',
  '/*': 'control',
};

/** The plane of a route pattern (Fastify's routeOptions.url); unknown and /v1/admin/* are control. */
export function planeOfRoute(pattern: string | undefined): RoutePlane {
  if (pattern === undefined) return 'any'; // unmatched: the not-found handler answers on either listener
  if (pattern.startsWith('/v1/admin/')) return 'control';
  return ROUTE_PLANES[pattern] ?? 'control';
}

/** Whether `pattern` is classified explicitly (in the table or under /v1/admin/), not by the default. */
export function isClassified(pattern: string): boolean {
  return pattern.startsWith('/v1/admin/') || Object.hasOwn(ROUTE_PLANES, pattern);
}

const LISTENER_PLANE = Symbol('carapace.listenerPlane');

/** Marks a raw request with the listener it arrived on (done by the listener, before Fastify sees it). */
export function markListenerPlane(raw: object, plane: Plane): void {
  (raw as { [LISTENER_PLANE]?: Plane })[LISTENER_PLANE] = plane;
}

export function listenerPlaneOf(request: FastifyRequest): ListenerPlane {
  return (request.raw as { [LISTENER_PLANE]?: Plane })[LISTENER_PLANE] ?? 'both';
}

/**
 * onRequest (before any route's own hooks): a route of the other plane is not served here. The one
 * exception is a browser opening the data listener's `/` (the address `npm start` gives): it is sent to
 * the console on the control listener, where it is served, rather than answered 404.
 */
export function servedOnThisListener(consoleUrl: () => string | null) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const listener = listenerPlaneOf(request);
    if (listener === 'both') return;
    const plane = planeOfRoute(request.routeOptions.url);
    if (plane === 'any' || plane === listener) return;
    const to = consoleUrl();
    if (listener === 'data' && request.method === 'GET' && request.url === '/' && to !== null) {
      await reply.redirect(`${to}/`, 302);
      return;
    }
    wrongPlane(request, plane);
  };
}

function wrongPlane(request: FastifyRequest, plane: Plane | 'any'): never {
  throw new GatewayError(
    404,
    'E_WRONG_PLANE',
    'no such route on this listener',
    `${request.method} ${request.url.split('?', 1)[0]} is served on the ${plane} plane's listener`,
  );
}

/**
 * After authentication: on the control listener, an agent's or a service's credential (API key or DPoP
 * token) is refused outright, whatever the route would admit, and the refusal is audited.
 */
export async function refuseMachineOnControl(
  ctx: GatewayContext,
  request: FastifyRequest,
  principal: Principal,
): Promise<void> {
  if (listenerPlaneOf(request) !== 'control' || !MACHINE_ROLES.includes(principal.role)) return;
  await auditEvent(ctx, 'auth.control_plane_refused', {
    principal: principal.id,
    role: principal.role,
    method: request.method,
    route: request.routeOptions.url ?? null,
  });
  throw new GatewayError(
    403,
    'E_CONTROL_PLANE_AGENT',
    'agent credentials are refused on the control plane',
    `${principal.role} principals act on the data plane only; the control plane admits admin, approver and auditor credentials`,
  );
}
