// An agent written for OpenAI's chat-completions API, unchanged except for where it points: its client's
// baseURL is the Carapace gateway and its apiKey is its Carapace key. The one addition is how it runs a
// tool: with the execution token the gateway put beside each allowed call in the answer's `_carapace`
// block, through POST /v1/execute. A call the gateway did not allow is not in the answer at all; the
// agent reads why in the assistant text.

import type OpenAI from 'openai';

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type Tool = OpenAI.Chat.Completions.ChatCompletionTool;

/** One entry of `_carapace.decisions`, as the agent uses it. */
export interface GatewayDecision {
  tool_call_id: string | null;
  tool: string | null;
  decision: string;
  rule: string;
  explanation: string;
  token?: string;
  review?: { id: string };
}

export interface ConversationOptions {
  client: OpenAI;
  /** The gateway's base URL (for /v1/execute). */
  gatewayUrl: string;
  /** The agent's Carapace key: the same one its client sends. */
  agentKey: string;
  model: string;
  /** Names the session, so every turn of the conversation is judged with everything it was shown. */
  session: string;
  messages: Message[];
  tools: Tool[];
  log: (line: string) => void;
  /** What the model is shown of a tool's output (default: its JSON). */
  formatOutput?: (tool: string, output: unknown) => string;
  maxTurns?: number;
}

export interface ConversationResult {
  messages: Message[];
  decisions: GatewayDecision[];
  /** What /v1/execute answered for each call the agent ran. */
  executed: { tool: string; result: unknown }[];
}

export async function runConversation(options: ConversationOptions): Promise<ConversationResult> {
  const { client, log } = options;
  const messages = [...options.messages];
  const decisions: GatewayDecision[] = [];
  const executed: ConversationResult['executed'] = [];
  for (let turn = 0; turn < (options.maxTurns ?? 6); turn++) {
    const answer = await client.chat.completions.create(
      { model: options.model, messages, tools: options.tools },
      { headers: { 'x-carapace-session': options.session } },
    );
    const message = answer.choices[0]?.message;
    if (!message) throw new Error('the answer has no choice');
    messages.push(message);
    const gate = (answer as unknown as { _carapace?: { decisions: GatewayDecision[] } })._carapace;
    for (const d of gate?.decisions ?? []) {
      decisions.push(d);
      log(
        `  gateway: ${d.tool ?? '?'} -> ${d.decision} (${d.rule})${d.review ? ` review ${d.review.id}` : ''}`,
      );
    }
    if (message.content) log(`  assistant: ${message.content}`);
    const calls = (message.tool_calls ?? []).filter((c) => c.type === 'function');
    if (calls.length === 0) break;
    for (const call of calls) {
      const token = gate?.decisions.find((d) => d.tool_call_id === call.id)?.token;
      const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
      log(`  agent runs ${call.function.name}(${call.function.arguments})`);
      const response = await fetch(`${options.gatewayUrl}/v1/execute`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.agentKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token, tool: call.function.name, args }),
      });
      const result = (await response.json()) as Record<string, unknown>;
      if (response.ok) executed.push({ tool: call.function.name, result: result.result });
      log(`  executor: ${response.status} ${JSON.stringify(response.ok ? result.result : result)}`);
      messages.push({
        role: 'tool',
        tool_call_id: call.id,
        content: JSON.stringify(response.ok ? result.result : result),
      });
    }
  }
  return { messages, decisions, executed };
}
