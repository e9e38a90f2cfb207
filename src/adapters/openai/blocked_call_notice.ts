// What the agent reads in place of a tool call the gateway did not let through: the decision, the rule,
// why, and for a call waiting for a person the review to poll. Plain text, so that any model reads it.

export interface BlockedCall {
  tool: string | null;
  id: string | null;
  decision: string;
  rule: string;
  explanation: string;
  review: Record<string, unknown> | null;
}

export function blockedCallNotice(call: BlockedCall): string {
  const name = `${call.tool ?? 'unnamed tool'}${call.id ? ` (${call.id})` : ''}`;
  if (call.decision === 'HUMAN_REVIEW' && call.review) {
    const id = String(call.review.id);
    const until = typeof call.review.expires_at === 'string' ? ` until ${call.review.expires_at}` : '';
    return `[carapace] The call ${name} was not run: it waits for human review (rule ${call.rule}; review ${id}, poll GET /v1/reviews/${id}${until}). ${call.explanation}`;
  }
  return `[carapace] The call ${name} was not run: ${call.decision} by rule ${call.rule}. ${call.explanation}`;
}
