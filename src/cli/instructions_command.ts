// `carapace instructions` (issue 14 item 1): an admin lists the instruction sets agents were driven
// with, shows one with its diff against the agent's approved set, approves it (after seeing the diff),
// revokes one, or registers one from a file. And `carapace channels sign`: makes a channel signed.

import { formatDiff, type DiffLine } from '../gateway/line_diff.js';
import { type ConnectionOptions, gatewayRequest, resolveConnection } from './gateway_client.js';
import { failure, parseJson, printJson, readTextFile } from './io.js';

const setPath = (agent: string, hash: string) =>
  `/v1/admin/instructions/${encodeURIComponent(agent)}/${encodeURIComponent(hash)}`;

export async function instructionsListCommand(
  options: ConnectionOptions & { agent?: string; status?: string },
): Promise<number> {
  const query = new URLSearchParams();
  if (options.agent !== undefined) query.set('agent', options.agent);
  if (options.status !== undefined) query.set('status', options.status);
  const suffix = query.size > 0 ? `?${query.toString()}` : '';
  printJson(await gatewayRequest(resolveConnection(options), 'GET', `/v1/admin/instructions${suffix}`));
  return 0;
}

export async function instructionsShowCommand(
  agent: string,
  hash: string,
  options: ConnectionOptions,
): Promise<number> {
  printJson(await gatewayRequest(resolveConnection(options), 'GET', setPath(agent, hash)));
  return 0;
}

/** The diff of a set against the agent's latest approved set, as text ('+' added, '-' removed). */
export async function instructionsDiffCommand(
  agent: string,
  hash: string,
  options: ConnectionOptions,
): Promise<number> {
  process.stdout.write(`${await diffText(resolveConnection(options), agent, hash)}\n`);
  return 0;
}

async function diffText(
  conn: ReturnType<typeof resolveConnection>,
  agent: string,
  hash: string,
): Promise<string> {
  const shown = (await gatewayRequest(conn, 'GET', setPath(agent, hash))) as {
    set: { status: string; surface: string };
    against: { set_hash: string } | null;
    diff: DiffLine[];
  };
  const header = `--- ${shown.against ? `approved ${shown.against.set_hash}` : '(no approved set)'}\n+++ ${shown.set.status} ${hash} (${shown.set.surface})`;
  return `${header}\n${formatDiff(shown.diff)}`;
}

/** Shows the diff, then approves only with --yes (so the diff is always seen first). */
export async function instructionsApproveCommand(
  agent: string,
  hash: string,
  options: ConnectionOptions & { note?: string; yes?: boolean },
): Promise<number> {
  const conn = resolveConnection(options);
  process.stderr.write(`${await diffText(conn, agent, hash)}\n`);
  if (!options.yes)
    throw failure(
      'E_CONFIRMATION_REQUIRED',
      'not approved',
      'the diff is above (standard error); run again with --yes to approve this set',
    );
  printJson(
    await gatewayRequest(conn, 'POST', `${setPath(agent, hash)}/approve`, {
      ...(options.note !== undefined ? { note: options.note } : {}),
    }),
  );
  return 0;
}

export async function instructionsRevokeCommand(
  agent: string,
  hash: string,
  options: ConnectionOptions & { note?: string },
): Promise<number> {
  printJson(
    await gatewayRequest(resolveConnection(options), 'POST', `${setPath(agent, hash)}/revoke`, {
      ...(options.note !== undefined ? { note: options.note } : {}),
    }),
  );
  return 0;
}

/** Registers and approves a set from a JSON file `{system: [...], tools: [...]}`. */
export async function instructionsRegisterCommand(
  file: string,
  options: ConnectionOptions & { agent: string; surface: string; note?: string },
): Promise<number> {
  const content = parseJson(readTextFile(file), file) as { system?: unknown; tools?: unknown };
  if (
    typeof content !== 'object' ||
    content === null ||
    !Array.isArray(content.system) ||
    !Array.isArray(content.tools)
  )
    throw failure(
      'E_ARG_INVALID',
      'invalid instruction set file',
      `${file}: must be {"system": [...], "tools": [...]}`,
    );
  printJson(
    await gatewayRequest(resolveConnection(options), 'POST', '/v1/admin/instructions', {
      agent: options.agent,
      surface: options.surface,
      system: content.system,
      tools: content.tools,
      ...(options.note !== undefined ? { note: options.note } : {}),
    }),
  );
  return 0;
}

/** Makes a channel signed: an Ed25519 public key (base64url or a PEM file), or an HMAC secret read from a file. */
export async function channelsSignCommand(
  name: string,
  options: ConnectionOptions & { ed25519?: string; hmacSecretFile?: string },
): Promise<number> {
  if ((options.ed25519 === undefined) === (options.hmacSecretFile === undefined))
    throw failure(
      'E_ARG_INVALID',
      'one key',
      'give exactly one of --ed25519 <key|pem file> and --hmac-secret-file <file>',
    );
  const body =
    options.ed25519 !== undefined
      ? {
          alg: 'ed25519',
          public_key: options.ed25519.endsWith('.pem') ? readTextFile(options.ed25519) : options.ed25519,
        }
      : { alg: 'hmac-sha256', secret: readTextFile(options.hmacSecretFile as string).trim() };
  printJson(
    await gatewayRequest(
      resolveConnection(options),
      'POST',
      `/v1/admin/channels/${encodeURIComponent(name)}/signing`,
      body,
    ),
  );
  return 0;
}
