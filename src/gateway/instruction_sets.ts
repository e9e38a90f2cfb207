// Instruction integrity (issue 14 item 1): an agent bound to approved instruction sets (its system
// prompts and tool list, pinned by hash) may only be driven with one of them. The OpenAI proxy and the MCP
// gateway ask checkInstructionSet before anything reaches the upstream or a tool; a set that is not
// approved is refused (DENY, rule INSTRUCTION_INTEGRITY, audited with its hashes) and kept as `pending`
// with its content, so an admin can see the diff and approve it. Kept in the store's state records.

import { canonicalJson } from '../engine/canonical_json.js';
import { sha256Canonical } from '../engine/hash.js';
import type { JsonObject, JsonValue, Principal, StateRecord } from '../store/store.js';
import { auditEvent, type FinalVerdict, type GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';

export const INSTRUCTION_SURFACES = ['openai', 'mcp'] as const;
export type InstructionSurface = (typeof INSTRUCTION_SURFACES)[number];
export const INSTRUCTION_SET_FORMAT = 'carapace.instruction-set/v1';
export const INSTRUCTION_RULE = 'INSTRUCTION_INTEGRITY';

/** State kinds: one record per (agent, set hash), and one binding per agent listing its approved sets. */
const SET_KIND = 'instruction_set';
const BINDING_KIND = 'instruction_binding';
/** A set's content is kept only up to this many characters of canonical JSON (a state record holds 64 KiB). */
export const MAX_KEPT_CONTENT_CHARS = 56 * 1024;
/** Refused sets an agent can leave as pending per UTC day; more are audited but not kept. */
export const MAX_PENDING_PER_DAY = 100;

/** What is hashed: the surface, the system messages in order, the tool definitions sorted. */
export interface InstructionContent {
  surface: InstructionSurface;
  /** OpenAI: each system or developer message as `{role, content}`, content exactly as sent. MCP: empty. */
  system: JsonValue[];
  /** Tool definitions as sent (OpenAI) or as the gateway offers them (MCP), sorted by their canonical JSON. */
  tools: JsonValue[];
}

export interface InstructionHashes {
  /** sha256 over RFC 8785 JSON of `{format, surface, system, tools}`. */
  set_hash: string;
  /** sha256 over RFC 8785 JSON of the `system` array. */
  system_hash: string;
  /** sha256 over RFC 8785 JSON of the (sorted) `tools` array. */
  tools_hash: string;
}

export type InstructionStatus = 'approved' | 'pending' | 'revoked';

export interface InstructionSetRecord extends InstructionHashes {
  agent: string;
  surface: InstructionSurface;
  status: InstructionStatus;
  /** Null when the content was too large to keep (see MAX_KEPT_CONTENT_CHARS). */
  content: { system: JsonValue[]; tools: JsonValue[] } | null;
  first_seen: string;
  /** How many requests carried this set while it was not approved. */
  refused: number;
  last_refused_at: string | null;
  decided_by: string | null;
  decided_at: string | null;
  note: string | null;
}

interface BindingEntry {
  set_hash: string;
  system_hash: string;
  tools_hash: string;
  surface: InstructionSurface;
}

/** Puts the content in its canonical form (tools sorted) and hashes it. */
export function instructionHashes(content: InstructionContent): {
  content: InstructionContent;
  hashes: InstructionHashes;
} {
  try {
    return hashInstructions(content);
  } catch (e) {
    // Nested deeper than canonical JSON goes (64 levels): refused as a request, never forwarded.
    throw new GatewayError(
      400,
      'E_REQUEST_INVALID',
      'invalid request',
      `instructions: ${(e as Error).message}`,
    );
  }
}

function hashInstructions(content: InstructionContent): {
  content: InstructionContent;
  hashes: InstructionHashes;
} {
  const tools = content.tools
    .map((t) => ({ t, text: canonicalJson(t) }))
    .sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
    .map(({ t }) => t);
  const canonical: InstructionContent = { surface: content.surface, system: content.system, tools };
  return {
    content: canonical,
    hashes: {
      set_hash: sha256Canonical({ format: INSTRUCTION_SET_FORMAT, ...canonical }),
      system_hash: sha256Canonical(canonical.system),
      tools_hash: sha256Canonical(canonical.tools),
    },
  };
}

export type InstructionCheck =
  | { ok: true; enforced: true; hashes: InstructionHashes }
  | { ok: true; enforced: false; hashes: null }
  | {
      ok: false;
      hashes: InstructionHashes;
      /** Which of the parts no approved set of this surface has: `system_hash`, `tools_hash`, or both. */
      offending: Array<'system_hash' | 'tools_hash'>;
      verdict: FinalVerdict;
      audit: { seq: number; hash: string };
      status: InstructionStatus;
    };

/** True when every agent must have an approved set, bound or not (gateway option). */
function requiredForAll(ctx: GatewayContext): boolean {
  return ctx.instructionIntegrity?.required === true;
}

const setKey = (agent: string, hash: string) => `${agent}|${hash}`;

/**
 * Checks the instructions a request carries for `agent`. An agent is bound once an admin approved any set
 * for it (revoking them all leaves it bound, with nothing approved); an unbound agent passes unless the
 * gateway requires integrity of every agent. A refusal is audited and the set kept as pending.
 */
export async function checkInstructionSet(
  ctx: GatewayContext,
  agent: Principal,
  given: InstructionContent | (() => Promise<InstructionContent>),
  where: Record<string, JsonValue> = {},
): Promise<InstructionCheck> {
  const binding = await ctx.store.getState(BINDING_KIND, agent.id);
  // An unbound agent costs one point read: its instructions are not even gathered (an MCP tool list is).
  if (!binding && !requiredForAll(ctx)) return { ok: true, enforced: false, hashes: null };
  const { content, hashes } = instructionHashes(typeof given === 'function' ? await given() : given);
  const approved = approvedOf(binding).filter((b) => b.surface === content.surface);
  if (approved.some((b) => b.set_hash === hashes.set_hash)) return { ok: true, enforced: true, hashes };

  const offending: Array<'system_hash' | 'tools_hash'> = [];
  if (!approved.some((b) => b.system_hash === hashes.system_hash)) offending.push('system_hash');
  if (!approved.some((b) => b.tools_hash === hashes.tools_hash)) offending.push('tools_hash');
  const kept = await keepRefused(ctx, agent.id, content, hashes);
  const parts =
    offending.length === 0 ? 'this combination of its system prompt and tools' : offending.join(' and ');
  const verdict: FinalVerdict = {
    decision: 'DENY',
    rule: INSTRUCTION_RULE,
    explanation:
      `Denied (instruction integrity): ${agent.id}'s ${content.surface} instructions ${hashes.set_hash} are not an ` +
      `approved set (${parts} not approved); an admin can review it as ${kept.status} and approve it.`,
  };
  const entry = await auditEvent(ctx, 'instruction.refused', {
    agent: agent.id,
    surface: content.surface,
    decision: 'DENY',
    rule: INSTRUCTION_RULE,
    ...hashes,
    offending,
    status: kept.status,
    kept: kept.kept,
    ...where,
  });
  return {
    ok: false,
    hashes,
    offending,
    verdict,
    audit: { seq: entry.seq, hash: entry.hash },
    status: kept.status,
  };
}

function approvedOf(binding: StateRecord | null): BindingEntry[] {
  const list = binding?.value.approved;
  return Array.isArray(list) ? (list as unknown as BindingEntry[]) : [];
}

/** Keeps a refused set as pending (content included when small enough), or counts one more refusal. */
async function keepRefused(
  ctx: GatewayContext,
  agent: string,
  content: InstructionContent,
  hashes: InstructionHashes,
): Promise<{ status: InstructionStatus; kept: boolean }> {
  const at = new Date(ctx.now()).toISOString();
  const key = setKey(agent, hashes.set_hash);
  for (let attempt = 0; attempt < 4; attempt++) {
    const existing = await ctx.store.getState(SET_KIND, key);
    if (existing) {
      const record = existing.value as unknown as InstructionSetRecord;
      const next = { ...record, refused: record.refused + 1, last_refused_at: at };
      if (await ctx.store.putState(SET_KIND, key, next as unknown as JsonObject, existing.version, at))
        return { status: record.status, kept: true };
      continue;
    }
    const day = `${at.slice(0, 10)}T00:00:00.000Z`;
    if ((await ctx.store.incrementCounter(`instructions.pending:${agent}`, day)) > MAX_PENDING_PER_DAY)
      return { status: 'pending', kept: false };
    const record = newRecord(agent, content, hashes, 'pending', at);
    record.refused = 1;
    record.last_refused_at = at;
    if (await ctx.store.putState(SET_KIND, key, record as unknown as JsonObject, 0, at))
      return { status: 'pending', kept: true };
  }
  return { status: 'pending', kept: false };
}

function newRecord(
  agent: string,
  content: InstructionContent,
  hashes: InstructionHashes,
  status: InstructionStatus,
  at: string,
): InstructionSetRecord {
  const body = { system: content.system, tools: content.tools };
  return {
    agent,
    surface: content.surface,
    ...hashes,
    status,
    content: canonicalJson(body).length <= MAX_KEPT_CONTENT_CHARS ? body : null,
    first_seen: at,
    refused: 0,
    last_refused_at: null,
    decided_by: null,
    decided_at: null,
    note: null,
  };
}

/** Every kept set, optionally of one agent or status, ordered by agent then hash. */
export async function listInstructionSets(
  ctx: GatewayContext,
  filter: { agent?: string; status?: InstructionStatus } = {},
): Promise<InstructionSetRecord[]> {
  return (await ctx.store.listState(SET_KIND))
    .map((r) => r.value as unknown as InstructionSetRecord)
    .filter(
      (r) =>
        (filter.agent === undefined || r.agent === filter.agent) &&
        (filter.status === undefined || r.status === filter.status),
    );
}

export async function getInstructionSet(
  ctx: GatewayContext,
  agent: string,
  hash: string,
): Promise<InstructionSetRecord | null> {
  const found = await ctx.store.getState(SET_KIND, setKey(agent, hash));
  return found ? (found.value as unknown as InstructionSetRecord) : null;
}

/** The agent's approved set of `surface` most recently decided, other than `except`: what a new set is compared with. */
export async function latestApproved(
  ctx: GatewayContext,
  agent: string,
  surface: InstructionSurface,
  except?: string,
): Promise<InstructionSetRecord | null> {
  const approved = (await listInstructionSets(ctx, { agent, status: 'approved' })).filter(
    (r) => r.surface === surface && r.set_hash !== except,
  );
  approved.sort((a, b) => ((a.decided_at ?? '') < (b.decided_at ?? '') ? 1 : -1));
  return approved[0] ?? null;
}

/**
 * Approves a kept set, or registers and approves `content` given by the admin. The agent becomes bound:
 * from now on only its approved sets pass. Audited.
 */
export async function approveInstructionSet(
  ctx: GatewayContext,
  admin: string,
  agent: Principal,
  target: { hash: string } | { content: InstructionContent },
  note: string | null,
): Promise<InstructionSetRecord> {
  const at = new Date(ctx.now()).toISOString();
  let record: InstructionSetRecord;
  if ('content' in target) {
    const { content, hashes } = instructionHashes(target.content);
    if (canonicalJson({ system: content.system, tools: content.tools }).length > MAX_KEPT_CONTENT_CHARS)
      throw new GatewayError(
        413,
        'E_INPUT_TOO_LARGE',
        'input too large',
        `an instruction set is kept up to ${MAX_KEPT_CONTENT_CHARS} characters of canonical JSON`,
      );
    record =
      (await getInstructionSet(ctx, agent.id, hashes.set_hash)) ??
      newRecord(agent.id, content, hashes, 'pending', at);
  } else {
    const found = await getInstructionSet(ctx, agent.id, target.hash);
    if (!found)
      throw new GatewayError(404, 'E_NOT_FOUND', 'no such instruction set', `${agent.id} ${target.hash}`);
    record = found;
  }
  const decided = await writeStatus(ctx, record, 'approved', admin, at, note);
  await updateBinding(ctx, agent.id, at, (list) =>
    list.some((b) => b.set_hash === decided.set_hash)
      ? list
      : [
          ...list,
          {
            set_hash: decided.set_hash,
            system_hash: decided.system_hash,
            tools_hash: decided.tools_hash,
            surface: decided.surface,
          },
        ],
  );
  await auditEvent(ctx, 'admin.instruction_approved', {
    by: admin,
    agent: agent.id,
    surface: decided.surface,
    set_hash: decided.set_hash,
    system_hash: decided.system_hash,
    tools_hash: decided.tools_hash,
    note,
  });
  return decided;
}

/** Revokes an approved (or refuses a pending) set; the agent stays bound even with nothing approved. Audited. */
export async function revokeInstructionSet(
  ctx: GatewayContext,
  admin: string,
  agent: string,
  hash: string,
  note: string | null,
): Promise<InstructionSetRecord> {
  const at = new Date(ctx.now()).toISOString();
  const found = await getInstructionSet(ctx, agent, hash);
  if (!found) throw new GatewayError(404, 'E_NOT_FOUND', 'no such instruction set', `${agent} ${hash}`);
  // The binding first: a set stops passing before it is shown as revoked.
  await updateBinding(ctx, agent, at, (list) => list.filter((b) => b.set_hash !== hash));
  const decided = await writeStatus(ctx, found, 'revoked', admin, at, note);
  await auditEvent(ctx, 'admin.instruction_revoked', {
    by: admin,
    agent,
    surface: decided.surface,
    set_hash: hash,
    note,
  });
  return decided;
}

async function writeStatus(
  ctx: GatewayContext,
  record: InstructionSetRecord,
  status: InstructionStatus,
  admin: string,
  at: string,
  note: string | null,
): Promise<InstructionSetRecord> {
  const key = setKey(record.agent, record.set_hash);
  for (let attempt = 0; attempt < 8; attempt++) {
    const existing = await ctx.store.getState(SET_KIND, key);
    const base = existing ? (existing.value as unknown as InstructionSetRecord) : record;
    const next: InstructionSetRecord = { ...base, status, decided_by: admin, decided_at: at, note };
    if (await ctx.store.putState(SET_KIND, key, next as unknown as JsonObject, existing?.version ?? 0, at))
      return next;
  }
  throw new GatewayError(503, 'E_STORE_CONFLICT', 'the instruction set changed concurrently', 'try again');
}

async function updateBinding(
  ctx: GatewayContext,
  agent: string,
  at: string,
  change: (list: BindingEntry[]) => BindingEntry[],
): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const existing = await ctx.store.getState(BINDING_KIND, agent);
    const approved = change(approvedOf(existing));
    const value = { agent, bound_since: (existing?.value.bound_since as string | undefined) ?? at, approved };
    if (
      await ctx.store.putState(
        BINDING_KIND,
        agent,
        value as unknown as JsonObject,
        existing?.version ?? 0,
        at,
      )
    )
      return;
  }
  throw new GatewayError(
    503,
    'E_STORE_CONFLICT',
    'the agent’s instruction binding changed concurrently',
    'try again',
  );
}

/** Whether the agent is bound (has ever had an approved set), and its approved set hashes now. */
export async function instructionBinding(
  ctx: GatewayContext,
  agent: string,
): Promise<{ bound: boolean; required: boolean; approved: BindingEntry[] }> {
  const binding = await ctx.store.getState(BINDING_KIND, agent);
  return { bound: binding !== null, required: requiredForAll(ctx), approved: approvedOf(binding) };
}

/** The 403 an HTTP surface answers a refused set with: the rule, the hashes and the audit entry in `detail`. */
export function instructionRefusal(check: Extract<InstructionCheck, { ok: false }>): GatewayError {
  return new GatewayError(
    403,
    'E_INSTRUCTION_INTEGRITY',
    'the instructions are not an approved set for this agent',
    `${check.verdict.explanation} rule ${INSTRUCTION_RULE}; set ${check.hashes.set_hash}, system ${check.hashes.system_hash}, tools ${check.hashes.tools_hash}; offending ${check.offending.join(', ') || 'combination'}; audit seq ${check.audit.seq}`,
  );
}
