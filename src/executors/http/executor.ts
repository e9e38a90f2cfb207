// The brokered HTTP executor (DESIGN.md §9): runs an allowed `http.request` with a vault secret injected
// as the secret's policy says, so the agent names a secret and never holds it. Before the token gate,
// everything that needs no secret value is checked (the arguments, the agent's headers, the secret's
// authenticated policy against scheme, host, port and method, its rate), so a refused request leaves its
// token unspent. After the gate: DNS once and the address pinned, the request with the secret injected,
// no redirect followed, size caps and a deadline, and every form of the secret stripped from the status
// line, the headers and the body before anything is returned.

import type { ActionCall, ExecutionOutcome, Executor, TokenGate } from '../executor.js';
import type { Vault } from '../../vault/vault.js';
import { SECRET_PLACEHOLDER } from '../../vault/secret_policy.js';
import { HttpBrokerError } from './errors.js';
import { HTTP_REQUEST_TOOL } from './http_catalog.js';
import { checkAgainstPolicy, planRequest } from './request_plan.js';
import { type SecretRateGate, SecretRateLimiter } from './rate_limit.js';
import { type HostResolver, resolvePinned, systemResolver } from './resolve_once.js';
import { SecretStripper } from './secret_stripper.js';
import { type PinnedResponse, sendPinned } from './send_pinned.js';

export interface BrokeredHttpExecutorOptions {
  vault: Vault;
  gate: TokenGate;
  /** Epoch milliseconds. */
  now?: () => number;
  /** Default: the system's (getaddrinfo). */
  resolve?: HostResolver;
  /** Certificates trusted instead of the system roots (a private PKI, a test CA). */
  ca?: readonly (string | Buffer)[];
  rateLimiter?: SecretRateGate;
  /** Signs each outcome's request and response, when configured (signed outputs). */
  sign?: (request: unknown, result: unknown) => unknown;
}

/** The answer as the agent sees it: the secret stripped from every part. */
export interface BrokeredResponse {
  status: number;
  status_text: string;
  /** Lower-case names; a repeated header's values in order. */
  headers: Record<string, string | string[]>;
  body: string;
  body_encoding: 'utf8' | 'base64';
  bytes: number;
}

export class BrokeredHttpExecutor implements Executor {
  readonly name = 'http-broker';
  readonly simulated = false;
  readonly tools = [HTTP_REQUEST_TOOL] as const;
  private readonly now: () => number;
  private readonly resolver: HostResolver;
  private readonly limiter: SecretRateGate;

  constructor(private readonly options: BrokeredHttpExecutorOptions) {
    this.now = options.now ?? Date.now;
    this.resolver = options.resolve ?? systemResolver;
    this.limiter = options.rateLimiter ?? new SecretRateLimiter();
  }

  async execute(token: string, call: ActionCall): Promise<ExecutionOutcome> {
    if (call.tool !== HTTP_REQUEST_TOOL)
      throw new HttpBrokerError(
        'E_HTTP_TOOL_UNSUPPORTED',
        `the HTTP broker runs ${HTTP_REQUEST_TOOL}, not ${call.tool}`,
      );
    // Before the gate: nothing here reads a secret's value (describe unseals and zeroes at once, to
    // authenticate the policy it returns).
    const plan = planRequest(call.args);
    const before = this.options.vault.describe(plan.secretId);
    checkAgainstPolicy(plan, before.policy, before.id);
    const started = this.now();
    const deadline = started + before.policy.limits.timeout_ms;
    // DNS is asked once, here; the connection goes to this address whatever DNS says later.
    const target = await withDeadline(
      resolvePinned(plan.host, before.policy.addresses, this.resolver),
      before.policy.limits.timeout_ms,
      plan.host,
    );
    let allowed: boolean;
    try {
      allowed = await this.limiter.take(before.id, before.policy.limits.rpm, this.now());
    } catch {
      throw new HttpBrokerError(
        'E_HTTP_RATE_LIMITED',
        `secret ${before.id}: its rate counters could not be read, so the request is refused`,
      );
    }
    if (!allowed)
      throw new HttpBrokerError(
        'E_HTTP_RATE_LIMITED',
        `secret ${before.id}: its policy allows ${before.policy.limits.rpm} requests a minute`,
      );

    await this.options.gate(token, call);

    return this.options.vault.use(plan.secretId, async (value, meta) => {
      // Rotated between the check and now: the policy in force is the one just unsealed.
      if (meta.policy_hash !== before.policy_hash) {
        checkAgainstPolicy(plan, meta.policy, meta.id);
        if (meta.policy.addresses !== before.policy.addresses)
          throw new HttpBrokerError(
            'E_HTTP_ADDRESS_REFUSED',
            `secret ${meta.id}: its address policy changed during the request`,
          );
      }
      const secret = value.toString('latin1');
      const injected = meta.policy.inject.template.replace(SECRET_PLACEHOLDER, () => secret);
      const stripper = new SecretStripper(meta.id, [secret, injected]);
      const response = await sendPinned({
        url: plan.url,
        method: plan.method,
        headers: { ...plan.headers, [meta.policy.inject.name]: injected },
        body: plan.body,
        address: target.address,
        family: target.family,
        timeoutMs: Math.max(1, Math.min(deadline, this.now() + meta.policy.limits.timeout_ms) - this.now()),
        maxResponseBytes: meta.policy.limits.resp_bytes,
        ...(this.options.ca ? { ca: this.options.ca } : {}),
      });
      const result = agentView(response, stripper);
      const request = { method: plan.method, url: plan.url.href, secret_id: meta.id };
      const redirect =
        response.status >= 300 && response.status < 400 ? result.response.headers.location : undefined;
      const details: Record<string, unknown> = {
        request,
        response: result.response,
        secret: {
          id: meta.id,
          version: meta.version,
          policy_hash: meta.policy_hash,
          injected_as: meta.policy.inject.name,
        },
        connected_to: { address: response.remoteAddress, port: plan.port },
        stripped: result.stripped,
        ...(redirect !== undefined ? { redirect_not_followed: redirect } : {}),
      };
      if (this.options.sign)
        details.signed_output = this.options.sign({ tool: call.tool, args: call.args }, result.response);
      return {
        executor: this.name,
        simulated: false,
        tool: call.tool,
        args: structuredClone(call.args),
        executed_at: new Date(started).toISOString(),
        effect: `${plan.method} ${plan.url.origin}${plan.url.pathname} answered ${response.status} (secret ${meta.id} injected as ${meta.policy.inject.name}${result.stripped ? `; ${result.stripped} echo(es) of it stripped` : ''})`,
        details,
      };
    });
  }
}

function withDeadline<T>(p: Promise<T>, ms: number, host: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HttpBrokerError('E_HTTP_TIMEOUT', `${host} did not resolve within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The response with every form of the secret stripped: status text, header names and values, body. */
export function agentView(
  response: PinnedResponse,
  stripper: SecretStripper,
): { response: BrokeredResponse; stripped: number } {
  let stripped = 0;
  const strip = (text: string, anyCase = false) => {
    const out = stripper.stripText(text, anyCase);
    stripped += out.count;
    return out.text;
  };
  const headers: Record<string, string | string[]> = {};
  for (const [rawName, rawValue] of response.headers) {
    const name = strip(rawName, true).toLowerCase();
    const value = strip(rawValue);
    const had = headers[name];
    headers[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  const body = stripper.stripBytes(response.body);
  stripped += body.count;
  const text = utf8OrNull(body.bytes);
  return {
    response: {
      status: response.status,
      status_text: strip(response.statusText),
      headers,
      body: text === null ? body.bytes.toString('base64') : strip(text),
      body_encoding: text === null ? 'base64' : 'utf8',
      bytes: response.body.length,
    },
    stripped,
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function utf8OrNull(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}
