// Identity routes (DESIGN.md §5, §8): DPoP-bound access tokens, delegation to child agents, recursive
// revocation, the DPoP requirement, and what an agent's trust and breaker are, with the admin's levers
// (close a breaker, accept a held rise in trust).

import type { FastifyInstance } from 'fastify';
import { mintAccessToken } from '../identity/access_token.js';
import { checkDelegation } from '../identity/delegation.js';
import { IdentityError } from '../identity/errors.js';
import { tierBand } from '../identity/tiers.js';
import { toolRefusal } from '../policy/index.js';
import { type Principal, TRUST_TIERS } from '../store/store.js';
import { catalogToolName } from './actions.js';
import {
  admit,
  asUnauthenticated,
  type Caller,
  checkProof,
  generateApiKey,
  hashApiKey,
  principalOf,
} from './auth.js';
import { boundedString, oneOf, strictBody } from './body.js';
import { auditEvent, type GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { requiresAgentDpop } from './security_levels.js';
import {
  appraiseAgentEvidence,
  attestationNonce,
  MAX_EVIDENCE_BYTES,
  requireDpopKey,
} from './attestation.js';
import { agentTier, recordTrust } from './identity.js';
import { NAME } from './schemas.js';
import {
  agentAdminSchema,
  agentSchema,
  attestationSchema,
  delegateSchema,
  dpopRequirementSchema,
  meSchema,
  revokeSchema,
  tokenSchema,
  trustGetSchema,
} from './schemas_identity.js';

/** How far up a delegation chain is walked; deeper than any tier allows. */
const MAX_CHAIN = 16;

export function identityRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const agents = admit(ctx, ['agent']);
  const admins = admit(ctx, ['admin']);

  app.post('/v1/token', { schema: tokenSchema, onRequest: agents }, async (request, reply) => {
    const agent = principalOf(request);
    if (agent.dpop_jkt !== undefined)
      throw new GatewayError(
        400,
        'E_REQUEST_INVALID',
        'tokens are obtained with the API key',
        'send Authorization: Bearer <api key> and a DPoP proof',
      );
    const body = strictBody(request.body ?? {}, [], ['expires_in']);
    const now = ctx.now();
    const proof = await checkProof(ctx, request).catch((e: unknown) => {
      throw asUnauthenticated(ctx, e);
    });
    const tier = await agentTier(ctx, agent);
    const capMs = tierBand(tier.tier).accessTokenTtlMs;
    const askedMs = typeof body.expires_in === 'number' ? body.expires_in * 1000 : capMs;
    const { token, claims } = await mintAccessToken({
      key: ctx.tokenKey,
      principalId: agent.id,
      jkt: proof.jkt,
      now,
      ttlMs: Math.min(askedMs, capMs),
    });
    await auditEvent(ctx, 'identity.token_issued', {
      agent: agent.id,
      jkt: proof.jkt,
      tier: tier.tier,
      expires_at: new Date(claims.exp * 1000).toISOString(),
    });
    reply.header('cache-control', 'no-store');
    if (ctx.identity.requireDpopNonce) reply.header('dpop-nonce', ctx.identity.nonces.issue(now));
    return {
      access_token: token,
      token_type: 'DPoP',
      expires_in: claims.exp - claims.iat,
      cnf: { jkt: proof.jkt },
      tier: tier.tier,
      tier_limits: tier.limits,
    };
  });

  app.get('/v1/agents/me', { schema: meSchema, onRequest: agents }, async (request) => {
    const agent = principalOf(request);
    return {
      ...shown(agent),
      dpop_jkt: agent.dpop_jkt ?? null,
      tier: await agentTier(ctx, agent),
      breaker: await ctx.identity.monitor.breaker(agent.id),
    };
  });

  app.get(
    '/v1/agents/me/attestation/nonce',
    {
      schema: agentSchema('A nonce to bind into TEE evidence with the DPoP key (agent, DPoP)'),
      onRequest: agents,
    },
    async (request) => {
      const agent = principalOf(request);
      const { jkt } = requireDpopKey(agent);
      return {
        nonce: attestationNonce(ctx.identity.attestation, agent, ctx.now()),
        jkt,
        report_data: 'SHA-256 of the DPoP public key (DER SubjectPublicKeyInfo), then this nonce',
      };
    },
  );

  app.post('/v1/agents/me/attestation', { schema: attestationSchema, onRequest: agents }, async (request) => {
    const agent = principalOf(request);
    const body = strictBody(request.body, ['kind', 'evidence', 'nonce'], ['collateral', 'certs']);
    const base64 = (v: unknown, field: string, max: number): Buffer => {
      const text = boundedString(v, field, Math.ceil((max * 4) / 3) + 4, /^[A-Za-z0-9+/]+=*$/);
      return Buffer.from(text, 'base64');
    };
    const evidence = base64(body.evidence, 'evidence', MAX_EVIDENCE_BYTES);
    const certs = Array.isArray(body.certs)
      ? body.certs.map((c, i) => base64(c, `certs[${i}]`, 16 * 1024))
      : undefined;
    const appraisal = await appraiseAgentEvidence(ctx, ctx.identity.attestation, agent, {
      kind: boundedString(body.kind, 'kind', 16),
      evidence,
      nonce: boundedString(body.nonce, 'nonce', 64, /^[0-9a-f]{64}$/),
      ...(body.collateral !== undefined ? { collateral: body.collateral } : {}),
      ...(certs ? { certs } : {}),
    });
    await auditEvent(ctx, 'attestation.appraisal', {
      agent: agent.id,
      jkt: agent.dpop_jkt ?? null,
      ...appraisal,
    });
    if (!appraisal.verified) {
      const first = appraisal.failure ?? appraisal.policy_failures[0];
      throw new GatewayError(
        422,
        appraisal.failure?.code ?? 'E_ATTEST_POLICY',
        'the evidence was not accepted',
        first ? `${first.check} at ${first.where}: ${first.detail}` : 'not verified',
      );
    }
    return { appraisal, tier: await agentTier(ctx, agent) };
  });

  app.post('/v1/agents/delegates', { schema: delegateSchema, onRequest: agents }, async (request, reply) => {
    const parent = principalOf(request);
    const body = strictBody(request.body, ['name', 'tools'], ['tier']);
    const name = boundedString(body.name, 'name', 64, NAME);
    if (!Array.isArray(body.tools))
      throw new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', 'tools: must be an array');
    const tools = body.tools.map((t, i) => catalogToolName(ctx, boundedString(t, `tools[${i}]`, 256)));
    const tier = body.tier === undefined ? undefined : oneOf(body.tier, 'tier', TRUST_TIERS);
    const parentTier = await agentTier(ctx, parent);
    const catalog = new Set([...ctx.engine.catalog.tools.values()].map((t) => t.name));
    let grant;
    try {
      grant = checkDelegation(
        parent,
        await chainDepth(ctx, parent),
        parentTier.tier,
        { tools, ...(tier ? { tier } : {}) },
        catalog,
      );
    } catch (e) {
      if (e instanceof IdentityError) throw new GatewayError(403, e.code, 'delegation refused', e.message);
      throw e;
    }
    const policy = ctx.policy?.current;
    for (const tool of policy ? grant.scope.tools : []) {
      const refusal = toolRefusal(policy!, tool, parent.name, parent.role);
      if (refusal)
        throw new GatewayError(
          403,
          'E_DELEGATION_REFUSED',
          'delegation refused',
          `the policy does not let ${parent.id} call ${tool}: ${refusal}`,
        );
    }
    const key = generateApiKey();
    const child = await ctx.store.createPrincipal({
      id: `agent:${name}`,
      name,
      role: 'agent',
      api_key_hash: hashApiKey(key),
      ...(parent.channel !== undefined ? { channel: parent.channel } : {}),
      certified_tier: grant.tier,
      dpop_required: parent.dpop_required,
      parent_id: parent.id,
      scope: grant.scope,
      created_at: new Date(ctx.now()).toISOString(),
    });
    await auditEvent(ctx, 'agent.delegated', {
      by: parent.id,
      principal: child.id,
      scope: grant.scope,
      tier: grant.tier,
      depth: grant.depth,
    });
    // The key is in this response and nowhere else.
    return reply.code(201).send({ ...shown(child), api_key: key });
  });

  app.post(
    '/v1/agents/:id/revoke',
    { schema: revokeSchema('an ancestor agent'), onRequest: agents },
    async (request) => {
      const caller = principalOf(request);
      const target = await principalOrNotFound(ctx, (request.params as { id: string }).id);
      if (!(await isAncestor(ctx, caller.id, target)))
        throw new GatewayError(
          403,
          'E_FORBIDDEN',
          'not allowed',
          `${caller.id} may revoke only its own delegates and theirs`,
        );
      return revoke(ctx, caller.id, target.id);
    },
  );

  app.post(
    '/v1/admin/principals/:id/revoke',
    { schema: revokeSchema('admin'), onRequest: admins },
    async (request) => {
      const target = await principalOrNotFound(ctx, (request.params as { id: string }).id);
      return revoke(ctx, principalOf(request).id, target.id);
    },
  );

  app.post(
    '/v1/admin/principals/:id/dpop',
    { schema: dpopRequirementSchema, onRequest: admins },
    async (request) => {
      const admin = principalOf(request);
      const id = boundedString((request.params as { id: unknown }).id, 'id', 200);
      const required = strictBody(request.body, ['required'], []).required;
      if (typeof required !== 'boolean')
        throw new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', 'required: must be a boolean');
      const target = await principalOrNotFound(ctx, id);
      if (!required && target.role === 'agent' && requiresAgentDpop(ctx.securityLevel))
        throw new GatewayError(
          409,
          'E_SECURITY_LEVEL',
          'agents must use DPoP at this security level',
          `the gateway runs at ${ctx.securityLevel}, which requires DPoP of every agent`,
        );
      const after = await ctx.store.setPrincipalDpopRequired(id, required);
      ctx.identity.principals.clear();
      await auditEvent(ctx, 'admin.dpop_required', { by: admin.id, principal: id, required });
      return shown(after);
    },
  );

  app.get(
    '/v1/agents/:id/trust',
    { schema: trustGetSchema, onRequest: admit(ctx, ['admin', 'auditor', 'approver']) },
    async (request) => {
      const agent = await principalOrNotFound(ctx, (request.params as { id: string }).id);
      return {
        ...shown(agent),
        tier: await agentTier(ctx, agent),
        state: agent.role === 'agent' ? await ctx.identity.trust.state(agent, ctx.now()) : null,
        breaker: await ctx.identity.monitor.breaker(agent.id),
      };
    },
  );

  app.post(
    '/v1/admin/agents/:id/breaker/close',
    { schema: agentAdminSchema("Close an agent's circuit breaker (admin)"), onRequest: admins },
    async (request) => {
      const admin = principalOf(request);
      const agent = await principalOrNotFound(ctx, (request.params as { id: string }).id);
      const closed = await ctx.identity.monitor.closeBreaker(agent.id, admin.id, ctx.now());
      if (!closed)
        throw new GatewayError(
          409,
          'E_BREAKER_NOT_OPEN',
          'the breaker is not open',
          `${agent.id}'s breaker is closed`,
        );
      await auditEvent(ctx, 'monitor.breaker_closed', { by: admin.id, agent: agent.id });
      return { agent: agent.id, breaker: await ctx.identity.monitor.breaker(agent.id) };
    },
  );

  app.post(
    '/v1/admin/agents/:id/trust/accept',
    { schema: agentAdminSchema("Accept a held rise of an agent's trust score (admin)"), onRequest: admins },
    async (request) => {
      const admin = principalOf(request);
      const agent = await principalOrNotFound(ctx, (request.params as { id: string }).id);
      const state = await ctx.identity.trust.state(agent, ctx.now());
      if (!state.held)
        throw new GatewayError(409, 'E_TRUST_NOT_HELD', 'no rise is held', `${agent.id}'s score is not held`);
      await auditEvent(ctx, 'admin.trust_accepted', { by: admin.id, agent: agent.id, score: state.score });
      await recordTrust(ctx, agent, { type: 'jump_accepted' });
      return { agent: agent.id, tier: await agentTier(ctx, agent) };
    },
  );
}

/** Revokes `id` and its delegates, records it with every id revoked, and forgets cached principals. */
async function revoke(ctx: GatewayContext, by: string, id: string): Promise<{ revoked: string[] }> {
  const revoked = await ctx.store.revokePrincipal(id, new Date(ctx.now()).toISOString());
  ctx.identity.principals.clear();
  await auditEvent(ctx, 'identity.revoked', { by, principal: id, revoked });
  return { revoked };
}

async function principalOrNotFound(ctx: GatewayContext, id: string): Promise<Principal> {
  const principal = await ctx.store.getPrincipal(boundedString(id, 'id', 200));
  if (!principal) throw new GatewayError(404, 'E_NOT_FOUND', 'no such principal', id);
  return principal;
}

/** How many delegation links lead to `principal` (0 for an agent no one delegated). */
async function chainDepth(ctx: GatewayContext, principal: Principal): Promise<number> {
  let depth = 0;
  for (let p: Principal | null = principal; p?.parent_id !== undefined; depth++) {
    if (depth >= MAX_CHAIN) throw new Error(`${principal.id}'s delegation chain is longer than ${MAX_CHAIN}`);
    p = await ctx.store.getPrincipal(p.parent_id);
  }
  return depth;
}

async function isAncestor(ctx: GatewayContext, ancestorId: string, principal: Principal): Promise<boolean> {
  let p: Principal | null = principal;
  for (let i = 0; p?.parent_id !== undefined && i < MAX_CHAIN; i++) {
    if (p.parent_id === ancestorId) return true;
    p = await ctx.store.getPrincipal(p.parent_id);
  }
  return false;
}

function shown({ api_key_hash: _hash, ...principal }: Caller): Omit<Principal, 'api_key_hash'> {
  const { dpop_jkt: _jkt, dpop_jwk: _jwk, ...rest } = principal;
  return rest;
}
