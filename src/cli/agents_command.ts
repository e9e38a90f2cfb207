// `carapace agents` and `carapace channels`: an admin creates principals (the API key is printed once)
// and ingestion channels with their fixed trust, through a running gateway's admin API.

import { PRINCIPAL_ROLES, TRUST_LEVELS, TRUST_TIERS } from '../store/store.js';
import { type ConnectionOptions, gatewayRequest, resolveConnection } from './gateway_client.js';
import { failure, printJson } from './io.js';

function oneOf(value: string, allowed: readonly string[], flag: string): string {
  if (!allowed.includes(value))
    throw failure('E_ARG_INVALID', `invalid ${flag}`, `${flag} must be one of ${allowed.join(', ')}`);
  return value;
}

export async function agentsAddCommand(
  name: string,
  options: ConnectionOptions & { role: string; channel?: string; tier?: string },
): Promise<number> {
  const role = oneOf(options.role, PRINCIPAL_ROLES, '--role');
  const tier = options.tier === undefined ? undefined : oneOf(options.tier, TRUST_TIERS, '--tier');
  const conn = resolveConnection(options);
  printJson(
    await gatewayRequest(conn, 'POST', '/v1/admin/principals', {
      name,
      role,
      ...(options.channel !== undefined ? { channel: options.channel } : {}),
      ...(tier !== undefined ? { tier } : {}),
    }),
  );
  return 0;
}

export async function agentsListCommand(options: ConnectionOptions): Promise<number> {
  printJson(await gatewayRequest(resolveConnection(options), 'GET', '/v1/admin/principals'));
  return 0;
}

export async function channelsAddCommand(
  name: string,
  options: ConnectionOptions & { trust: string },
): Promise<number> {
  const trust = oneOf(options.trust, TRUST_LEVELS, '--trust');
  printJson(await gatewayRequest(resolveConnection(options), 'POST', '/v1/admin/channels', { name, trust }));
  return 0;
}

export async function agentsTierCommand(
  id: string,
  tier: string,
  options: ConnectionOptions,
): Promise<number> {
  const checked = oneOf(tier, TRUST_TIERS, 'tier');
  printJson(
    await gatewayRequest(
      resolveConnection(options),
      'POST',
      `/v1/admin/principals/${encodeURIComponent(id)}/tier`,
      { tier: checked },
    ),
  );
  return 0;
}

/** The identity levers an admin pulls on one principal, each one audited by the gateway. */
const AGENT_ACTIONS = {
  revoke: { method: 'POST', path: (id: string) => `/v1/admin/principals/${id}/revoke` },
  'reset-breaker': { method: 'POST', path: (id: string) => `/v1/admin/agents/${id}/breaker/close` },
  'accept-trust': { method: 'POST', path: (id: string) => `/v1/admin/agents/${id}/trust/accept` },
  trust: { method: 'GET', path: (id: string) => `/v1/agents/${id}/trust` },
} as const;

export async function agentActionCommand(
  action: keyof typeof AGENT_ACTIONS,
  id: string,
  options: ConnectionOptions,
): Promise<number> {
  const { method, path } = AGENT_ACTIONS[action];
  printJson(await gatewayRequest(resolveConnection(options), method, path(encodeURIComponent(id))));
  return 0;
}

export async function agentsDpopCommand(
  id: string,
  required: string,
  options: ConnectionOptions,
): Promise<number> {
  const value = oneOf(required, ['required', 'optional'], 'required|optional') === 'required';
  printJson(
    await gatewayRequest(
      resolveConnection(options),
      'POST',
      `/v1/admin/principals/${encodeURIComponent(id)}/dpop`,
      { required: value },
    ),
  );
  return 0;
}
