// The remote gateway: each call is proposed to a Carapace gateway over HTTP with the agent's API key
// (POST /v1/actions), which decides and records it. On ALLOW the SDK redeems the execution token
// (POST /v1/redeem: verified for exactly this call, spent once, the execution recorded) and only then
// calls the function locally; its output, or its error, goes to POST /v1/results, where the gateway
// applies the policy's output rules and its redaction, makes it a chunk of the session and records it,
// and answers with what the caller may see. A HUMAN_REVIEW is either reported or waited for.

import { isTrustLevel } from '../engine/index.js';
import { outputAsJson } from '../gateway/actions.js';
import { SESSION } from '../gateway/schemas.js';
import {
  type CarapaceGateway,
  type GuardedAction,
  type IngestedChunk,
  type OutputRules,
  proposalBody,
} from './action.js';
import { CarapaceDeniedError, CarapaceError, CarapaceReviewPendingError } from './errors.js';
import {
  type GatewayAnswer,
  type GatewayConnection,
  gatewayConnection,
  gatewayRequest,
} from './gateway_http.js';
import { readProposal, readRedemption, readResult, readReview } from './remote_answer.js';
import { awaitReviewDecision, type ReviewWait, reviewWait } from './review_wait.js';
import { failedRun, InFlightCalls, runToolFunction } from './tool_output.js';

export interface RemoteGatewayOptions {
  /** The gateway's base URL; default $CARAPACE_URL. */
  url?: string;
  /** The agent's API key; default $CARAPACE_API_KEY. Sent only as a bearer token, never logged. */
  apiKey?: string;
  /** How long one request may take (default 10 s); no answer in time is a refusal. */
  timeoutMs?: number;
  /** Allow plain http to a host other than loopback (the API key then crosses the network in clear). */
  allowInsecureHttp?: boolean;
  /**
   * What to do with a HUMAN_REVIEW. Default: throw CarapaceReviewPendingError at once. With `wait`, poll
   * the review every `pollMs` (default 1000) for up to `timeoutMs` (default 5 min): approved runs the
   * call, rejected or expired throws CarapaceDeniedError, still pending throws CarapaceReviewPendingError.
   */
  review?: { wait: boolean; timeoutMs?: number; pollMs?: number };
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
}

/** Connects to a gateway. No request is made until the first call. */
export function connectGateway(options: RemoteGatewayOptions = {}): CarapaceGateway {
  const known = ['url', 'apiKey', 'timeoutMs', 'allowInsecureHttp', 'review', 'fetch'];
  for (const key of Object.keys(options))
    if (!known.includes(key))
      throw new CarapaceError('E_OPTIONS_INVALID', 'invalid gateway connection', `unknown option "${key}"`);
  const conn = gatewayConnection({
    url: options.url ?? process.env.CARAPACE_URL,
    apiKey: options.apiKey ?? process.env.CARAPACE_API_KEY,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.allowInsecureHttp !== undefined ? { allowInsecureHttp: options.allowInsecureHttp } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  });
  return new RemoteGateway(conn, reviewWait(options.review, 'invalid gateway connection'));
}

/**
 * A step after the function ran: every failure says so (`executed`), and its output is not returned
 * when the gateway did not record it.
 */
async function ranAlready<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    if (e instanceof CarapaceError && !e.executed)
      throw new CarapaceError(
        e.code,
        `the tool ran, but ${e.message.replace(/; the action was not run$/, '')}`,
        e.detail,
        true,
      );
    throw e;
  }
}

/** Time kept back from the gateway's result window for the result to reach it. */
function resultMarginMs(withinMs: number): number {
  return Math.min(1000, Math.floor(withinMs / 10));
}

class RemoteGateway implements CarapaceGateway {
  readonly mode = 'remote' as const;
  private readonly calls = new InFlightCalls('the gateway connection is closed');

  constructor(
    private readonly conn: GatewayConnection,
    private readonly review: ReviewWait,
  ) {}

  perform(
    action: GuardedAction,
    rules: OutputRules,
    run: (args: Record<string, unknown>) => unknown,
    onDecision?: Parameters<CarapaceGateway['perform']>[3],
  ): Promise<unknown> {
    return this.calls.track(() => this.performOpen(action, rules, run, onDecision));
  }

  ingest(content: string, options: { session?: string; channel?: string } = {}): Promise<IngestedChunk> {
    return this.calls.track(async () => {
      if (options.channel !== undefined)
        throw new CarapaceError(
          'E_CALL_INVALID',
          'a remote gateway takes no channel',
          'content enters through the channel an admin bound the API key to',
        );
      if (options.session !== undefined && !SESSION.test(options.session))
        throw new CarapaceError('E_CALL_INVALID', 'invalid session', `session: must match ${SESSION.source}`);
      const answer = await gatewayRequest(this.conn, 'POST', '/v1/ingest', {
        content,
        ...(options.session !== undefined ? { session: options.session } : {}),
      });
      const b = answer.body;
      if (typeof b.id !== 'string' || !isTrustLevel(b.trust) || typeof b.injection_suspected !== 'boolean')
        throw new CarapaceError(
          'E_GATEWAY_ANSWER_INVALID',
          'the gateway answer is not a chunk',
          'POST /v1/ingest: id, trust and injection_suspected are missing',
        );
      const matched = Array.isArray(b.matched)
        ? b.matched.filter((m): m is string => typeof m === 'string')
        : [];
      return { id: b.id, trust: b.trust, injection_suspected: b.injection_suspected, matched };
    });
  }

  async close(): Promise<void> {
    await this.calls.close();
  }

  private async performOpen(
    action: GuardedAction,
    rules: OutputRules,
    run: (args: Record<string, unknown>) => unknown,
    onDecision?: Parameters<CarapaceGateway['perform']>[3],
  ): Promise<unknown> {
    const answer = await gatewayRequest(this.conn, 'POST', '/v1/actions', proposalBody(action));
    const proposal = readProposal(answer, { tool: action.tool, args: action.args });
    onDecision?.({
      tool: action.tool,
      decision: proposal.decision,
      rule: proposal.rule,
      explanation: proposal.explanation,
      audit: proposal.audit,
      ...(proposal.decision === 'HUMAN_REVIEW' ? { review: proposal.review } : {}),
    });
    const fields = {
      tool: action.tool,
      rule: proposal.rule,
      explanation: proposal.explanation,
      record: proposal.record,
      audit: proposal.audit,
    };
    let token: string;
    let args: Record<string, unknown>;
    if (proposal.decision === 'ALLOW') {
      ({ token, args } = proposal);
    } else if (proposal.decision === 'HUMAN_REVIEW') {
      const pending = new CarapaceReviewPendingError({
        ...fields,
        reviewId: proposal.review.id,
        expiresAt: proposal.review.expires_at,
      });
      if (!this.review.wait) throw pending;
      ({ token, args } = await this.awaitApproval(pending, action.tool));
    } else {
      throw new CarapaceDeniedError({ ...fields, decision: proposal.decision });
    }

    // Redeem first: a token that is expired, spent, or not for exactly this call is refused by the
    // gateway, and so is a tool the gateway runs in an executor of its own; the function is not called.
    const redeemed = readRedemption(
      await gatewayRequest(this.conn, 'POST', '/v1/redeem', {
        token,
        tool: action.tool,
        args,
        ...(action.session !== undefined ? { session: action.session } : {}),
      }),
    );
    // The gateway takes the result only within its window: the function gets that long at most.
    const timeoutMs = Math.min(
      rules.timeoutMs,
      Math.max(1, redeemed.resultWithinMs - resultMarginMs(redeemed.resultWithinMs)),
    );
    const ran = await runToolFunction(() => run(structuredClone(args)), timeoutMs);
    const jti = redeemed.jti;
    if (!ran.ok) {
      const { failure, thrown } = failedRun(action.tool, ran, timeoutMs);
      await this.sendResult({ jti, error: { code: failure.code, message: failure.reason } });
      throw thrown;
    }
    const output = outputAsJson(ran.output);
    if (!output.ok) {
      await this.sendResult({ jti, error: { code: 'E_OUTPUT_NOT_JSON', message: output.reason } });
      throw new CarapaceError(
        'E_OUTPUT_NOT_JSON',
        `${action.tool} ran, but its output cannot be inspected: it is not JSON the gateway records`,
        output.reason,
        true,
      );
    }
    const recorded = await ranAlready(async () =>
      readResult(
        await this.sendResult({
          jti,
          output: output.value,
          ...(rules.redact.length > 0 ? { redact: rules.redact } : {}),
        }),
      ),
    );
    if (recorded.withheld)
      throw new CarapaceError(
        recorded.withheld.code,
        `${action.tool} ran, but the gateway withholds its output (audit seq ${recorded.audit.seq})`,
        recorded.withheld.reason,
        true,
      );
    return recorded.result;
  }

  /** Sends the one result of a run to POST /v1/results; the function has run (see ranAlready). */
  private sendResult(body: Record<string, unknown>): Promise<GatewayAnswer> {
    return ranAlready(() => gatewayRequest(this.conn, 'POST', '/v1/results', body));
  }

  /** Polls the review until it is decided or the wait is over; resolves with the approved call's token. */
  private awaitApproval(
    pending: CarapaceReviewPendingError,
    tool: string,
  ): Promise<{ token: string; args: Record<string, unknown> }> {
    return awaitReviewDecision(
      async () => {
        const answer = await gatewayRequest(this.conn, 'GET', `/v1/reviews/${pending.reviewId}`);
        const review = readReview(answer, pending.reviewId);
        if (review.status !== 'approved') return review;
        if (review.tool !== tool)
          throw new CarapaceError(
            'E_GATEWAY_ANSWER_INVALID',
            'the approved review is for another tool; the action was not run',
            `review ${pending.reviewId}: ${review.tool.slice(0, 128)}`,
          );
        return { status: 'approved', approved: { token: review.token, args: review.args } };
      },
      pending,
      this.review,
    );
  }
}
