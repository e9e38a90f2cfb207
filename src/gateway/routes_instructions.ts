// Admin routes for instruction sets (issue 14 item 1): list what agents were driven with, show a set
// with its diff against the agent's approved one, approve, revoke, or register one from its content.
// Control-plane routes.

import type { FastifyInstance } from 'fastify';
import type { JsonValue } from '../store/store.js';
import { admit, principalOf } from './auth.js';
import { boundedString, oneOf, strictBody } from './body.js';
import type { GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import {
  approveInstructionSet,
  getInstructionSet,
  INSTRUCTION_SURFACES,
  type InstructionSetRecord,
  type InstructionStatus,
  latestApproved,
  listInstructionSets,
  revokeInstructionSet,
} from './instruction_sets.js';
import { lineDiff } from './line_diff.js';
import {
  instructionDecideSchema,
  instructionListSchema,
  instructionRegisterSchema,
  instructionShowSchema,
} from './schemas_semantic.js';

const STATUSES: readonly InstructionStatus[] = ['approved', 'pending', 'revoked'];

export function instructionRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const admins = admit(ctx, ['admin']);
  const readers = admit(ctx, ['admin', 'auditor']);

  app.get(
    '/v1/admin/instructions',
    { schema: instructionListSchema, onRequest: readers },
    async (request) => {
      const q = request.query as { agent?: string; status?: string };
      const sets = await listInstructionSets(ctx, {
        ...(q.agent !== undefined ? { agent: q.agent } : {}),
        ...(q.status !== undefined ? { status: oneOf(q.status, 'status', STATUSES) } : {}),
      });
      return { sets: sets.map(summary) };
    },
  );

  app.get(
    '/v1/admin/instructions/:agent/:hash',
    { schema: instructionShowSchema, onRequest: readers },
    async (request) => {
      const { agent, hash } = request.params as { agent: string; hash: string };
      const set = await getInstructionSet(ctx, agent, hash);
      if (!set) throw new GatewayError(404, 'E_NOT_FOUND', 'no such instruction set', `${agent} ${hash}`);
      const against = await latestApproved(ctx, agent, set.surface, set.set_hash);
      return {
        set,
        against: against ? summary(against) : null,
        diff: lineDiff(against ? renderSet(against) : '', renderSet(set)),
      };
    },
  );

  app.post(
    '/v1/admin/instructions',
    { schema: instructionRegisterSchema, onRequest: admins },
    async (request, reply) => {
      const admin = principalOf(request);
      const body = strictBody(request.body, ['agent', 'surface', 'system', 'tools'], ['note']);
      const agent = await agentOf(ctx, boundedString(body.agent, 'agent', 200));
      const surface = oneOf(body.surface, 'surface', INSTRUCTION_SURFACES);
      if (!Array.isArray(body.system) || !Array.isArray(body.tools))
        throw new GatewayError(
          400,
          'E_REQUEST_INVALID',
          'invalid request',
          'system and tools: must be arrays',
        );
      const set = await approveInstructionSet(
        ctx,
        admin.id,
        agent,
        { content: { surface, system: body.system as JsonValue[], tools: body.tools as JsonValue[] } },
        noteOf(body.note),
      );
      return reply.code(201).send(set);
    },
  );

  for (const verb of ['approve', 'revoke'] as const)
    app.post(
      `/v1/admin/instructions/:agent/:hash/${verb}`,
      { schema: instructionDecideSchema(verb), onRequest: admins },
      async (request) => {
        const admin = principalOf(request);
        const { agent, hash } = request.params as { agent: string; hash: string };
        const note = noteOf(strictBody(request.body ?? {}, [], ['note']).note);
        if (verb === 'revoke') return revokeInstructionSet(ctx, admin.id, agent, hash, note);
        return approveInstructionSet(ctx, admin.id, await agentOf(ctx, agent), { hash }, note);
      },
    );
}

async function agentOf(ctx: GatewayContext, id: string) {
  const agent = await ctx.store.getPrincipal(id);
  if (!agent || agent.role !== 'agent') throw new GatewayError(404, 'E_NOT_FOUND', 'no such agent', id);
  return agent;
}

function noteOf(value: unknown): string | null {
  return value === undefined ? null : typeof value === 'string' ? value : null;
}

/** A set without its content (the list view). */
export function summary(
  set: InstructionSetRecord,
): Omit<InstructionSetRecord, 'content'> & { content_kept: boolean } {
  const { content, ...rest } = set;
  return { ...rest, content_kept: content !== null };
}

/** A set as lines a person reads: each system message's text, then each tool as indented JSON. */
export function renderSet(set: Pick<InstructionSetRecord, 'content' | 'set_hash'>): string {
  if (!set.content) return `(content of ${set.set_hash} too large to keep)`;
  const lines: string[] = [];
  for (const [i, m] of set.content.system.entries()) {
    const msg = m as { role?: unknown; content?: unknown };
    lines.push(`# system[${i}] (${String(msg.role ?? '?')})`);
    lines.push(typeof msg.content === 'string' ? msg.content : JSON.stringify(msg.content, null, 2));
  }
  for (const [i, t] of set.content.tools.entries()) {
    lines.push(`# tools[${i}]`);
    lines.push(JSON.stringify(t, null, 2));
  }
  return lines.join('\n');
}
