// A SCRIPTED agent (a fixed script standing in for an LLM) that works with a GitHub-style API through
// Carapace's credential broker. It holds a Carapace API key and the id of a secret, never the token:
// it proposes each call, and runs it with the single-use token the gateway mints when it is allowed.

export interface AgentStep {
  what: string;
  decision: string;
  rule: string;
  status?: number;
  /** The API's answer as the agent received it (the secret stripped by the broker). */
  answer?: unknown;
  /** The broker's signature over the request and the answer, when the call ran. */
  signedOutput?: unknown;
  /** Everything the agent received in this step, as text: what the example scans for the token. */
  received: string;
}

export class ScriptedGitHubAgent {
  constructor(
    private readonly gatewayUrl: string,
    private readonly apiKey: string,
    private readonly apiBase: string,
    private readonly secretId: string,
    private readonly session: string,
  ) {}

  private async call(
    path: string,
    body: unknown,
  ): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
    const response = await fetch(`${this.gatewayUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, json: JSON.parse(text) as Record<string, unknown> };
  }

  /** Proposes one brokered request citing `chunk`; runs it when allowed. */
  async request(
    what: string,
    intent: string,
    method: string,
    path: string,
    chunk: string,
    body?: unknown,
  ): Promise<AgentStep> {
    const args = {
      secret_id: this.secretId,
      method,
      url: `${this.apiBase}${path}`,
      headers: {
        accept: 'application/vnd.github+json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    };
    const proposed = await this.call('/v1/actions', {
      envelope: {
        intent,
        tool: 'http.request',
        args,
        source_signals: [chunk],
        session: this.session,
        justification: what,
      },
    });
    const step: AgentStep = {
      what,
      decision: String(proposed.json.decision),
      rule: String(proposed.json.rule),
      received: proposed.text,
    };
    if (proposed.json.decision !== 'ALLOW') return step;
    const run = await this.call('/v1/execute', { token: proposed.json.token, tool: 'http.request', args });
    step.received += run.text;
    const details = (
      run.json.result as {
        details?: { response?: { status: number; body: string }; signed_output?: unknown };
      } | null
    )?.details;
    step.signedOutput = details?.signed_output;
    const response = details?.response;
    if (response) {
      step.status = response.status;
      step.answer = JSON.parse(response.body) as unknown;
    }
    return step;
  }
}
