// The gateway's token gate (DESIGN.md §5), handed to every executor: verify the token for exactly the
// presented action, redeem it once in the store, and write the `execution` audit entry durably, all
// before the executor may act. A refusal is audited and counted, then rethrown unchanged.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActionCall, ExecutionOutcome, Executor, TokenGate } from '../executors/executor.js';
import {
  type ExecutionTokenClaims,
  redeemExecutionToken,
  storeRedemptionLedger,
  TokenError,
  type VerifyExecutionTokenOptions,
  verifyExecutionToken,
} from '../tokens/index.js';
import { auditEvent, type GatewayContext } from './context.js';

/** Set for one executor call: whether that call reached the gate, and what the gate redeemed. */
const gateSeen = new AsyncLocalStorage<{ claims: ExecutionTokenClaims | null; reached: boolean }>();

/**
 * Runs `executor.execute` and says whether the failure, if any, came before the gate (the executor
 * refused the action; the token is unspent), at the gate (a TokenError), or after it (the token is spent).
 */
export async function executeGated(
  executor: Executor,
  token: string,
  call: ActionCall,
  timeoutMs = DEFAULT_EXECUTOR_TIMEOUT_MS,
): Promise<
  | { ok: true; outcome: ExecutionOutcome; claims: ExecutionTokenClaims }
  | { ok: false; error: unknown; reachedGate: boolean; claims: ExecutionTokenClaims | null }
> {
  const seen = { claims: null as ExecutionTokenClaims | null, reached: false };
  let timer: NodeJS.Timeout | undefined;
  try {
    // An executor that does not answer in time has an unknown effect: a failure, never a success.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            Object.assign(new Error(`executor ${executor.name} did not finish within ${timeoutMs} ms`), {
              code: 'E_EXECUTOR_TIMEOUT',
            }),
          ),
        timeoutMs,
      );
    });
    const outcome = await Promise.race([gateSeen.run(seen, () => executor.execute(token, call)), timeout]);
    if (!seen.claims) {
      // A bug in the executor: it reports an action without a redeemed token. Never a success.
      const error = Object.assign(new Error(`executor ${executor.name} returned without passing the gate`), {
        code: 'E_EXECUTOR_UNGATED',
      });
      return { ok: false, error, reachedGate: true, claims: null };
    }
    return { ok: true, outcome, claims: seen.claims };
  } catch (error) {
    return { ok: false, error, reachedGate: seen.reached, claims: seen.claims };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The status of a refused token: 503 when the redemption ledger (the store) failed, so the token is
 * unspent and may be presented again once the store is back; else 403.
 */
export function tokenRefusalStatus(error: TokenError): 403 | 503 {
  return error.code === 'E_TOKEN_LEDGER' ? 503 : 403;
}

/** How long an executor may take before its action is recorded as failed with an unknown effect. */
export const DEFAULT_EXECUTOR_TIMEOUT_MS = 30_000;

export function gatewayTokenGate(ctx: GatewayContext): TokenGate {
  const ledger = storeRedemptionLedger(ctx.store);
  return async (token, call) => {
    const seen = gateSeen.getStore();
    if (seen) seen.reached = true;
    let claims: Awaited<ReturnType<typeof redeemExecutionToken>>;
    try {
      claims = await redeemExecutionToken(token, { ...verification(ctx, call), ledger });
    } catch (e) {
      if (!(e instanceof TokenError)) throw e;
      ctx.metrics.countRedemption(e.code);
      await auditEvent(ctx, 'execution.refused', {
        agent: call.agentId,
        tool: call.tool,
        code: e.code,
        reason: e.message,
      });
      throw e;
    }
    ctx.metrics.countRedemption('redeemed');
    if (seen) seen.claims = claims;
    await auditEvent(ctx, 'execution', {
      agent: call.agentId,
      jti: claims.jti,
      tool: call.tool,
      action: claims.act,
      decision: claims.dec,
    });
    return claims;
  };
}

/**
 * The claims of `token` when the gate would accept it for exactly `call` now, else null. Nothing is
 * redeemed or recorded: a caller looks before it redeems, and the gate still decides.
 */
export async function peekToken(
  ctx: GatewayContext,
  token: string,
  call: ActionCall,
): Promise<ExecutionTokenClaims | null> {
  try {
    return await verifyExecutionToken(token, verification(ctx, call));
  } catch (e) {
    if (e instanceof TokenError) return null;
    throw e;
  }
}

function verification(ctx: GatewayContext, call: ActionCall): VerifyExecutionTokenOptions {
  return {
    publicKey: ctx.tokenKey.publicKey,
    issuer: ctx.tokenKey.name,
    now: ctx.now(),
    expect: {
      agentId: call.agentId,
      tool: call.tool,
      args: call.args,
      ...(call.jkt !== undefined ? { jkt: call.jkt } : {}),
    },
  };
}
