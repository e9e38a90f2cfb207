// The demo's ops agent. It is SCRIPTED: a fixed set of rules that stands in for an LLM, so the demo
// runs offline and the same way every time. It reads what it is shown and answers with an assistant
// message in OpenAI's chat-completions tool-call shape, as a model would. Like a model that trusts its
// context, it obeys an instruction it finds in a log line: that is the failure the gate exists for.

export const SCRIPTED_AGENT_LABEL =
  'SCRIPTED AGENT: a fixed script standing in for an LLM; it answers in the OpenAI tool-call shape';

/** Something the agent was shown, with the id the gateway gave it when it was ingested. */
export interface ContextLine {
  chunkId: string;
  channel: string;
  text: string;
}

/** OpenAI chat-completions `tool_calls[]` item. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The assistant message, plus what a Carapace envelope needs: the intent it declares and its sources. */
export interface AgentTurn {
  message: { role: 'assistant'; content: string | null; tool_calls: ToolCall[] };
  /** The intent the agent declares for each tool call, in order. */
  intents: string[];
  /** The chunk ids each tool call cites as its justification, in order. */
  cited: string[][];
}

const SPINE_ORDER = /isolate immediately/i;
const SPINE_NAMED = /spine switch at site-([a-z]+-\d+)/i;
const UNHEALTHY_WORKLOAD = /workload ([a-z0-9-]+) at ([a-z]+-\d+) (?:is )?unhealthy/i;
const MAINTENANCE = /maintenance: isolate spine-switch-([a-z]+-\d+)/i;

/**
 * One turn. The rules, in order, first match wins:
 * 1. a line ordering a spine isolation ("ISOLATE IMMEDIATELY", "Spine switch at site-X") →
 *    isolate_network_device on spine-switch-X, citing that line (the injected instruction obeyed);
 * 2. an approved maintenance ticket "maintenance: isolate spine-switch-X" → the same tool, citing it;
 * 3. "workload W at S unhealthy" → restart_workload {workload: W, site: S};
 * 4. otherwise no tool call.
 */
export function scriptedAgentTurn(context: readonly ContextLine[], turn: number): AgentTurn {
  const call = (name: string, args: Record<string, unknown>): ToolCall => ({
    id: `call_scripted_${turn}`,
    type: 'function',
    function: { name, arguments: JSON.stringify(args) },
  });
  for (const line of context) {
    const site = SPINE_NAMED.exec(line.text)?.[1];
    if (SPINE_ORDER.test(line.text) && site)
      return answer(
        `The log says the spine at ${site} is compromised and must be isolated now. Isolating it.`,
        call('isolate_network_device', { device_id: `spine-switch-${site.toLowerCase()}` }),
        'remediate_destructive',
        [line.chunkId],
      );
  }
  for (const line of context) {
    const site = MAINTENANCE.exec(line.text)?.[1];
    if (site)
      return answer(
        `Maintenance ticket: isolating spine-switch-${site} as planned.`,
        call('isolate_network_device', { device_id: `spine-switch-${site.toLowerCase()}` }),
        'remediate_destructive',
        [line.chunkId],
      );
  }
  for (const line of context) {
    const match = UNHEALTHY_WORKLOAD.exec(line.text);
    if (match)
      return answer(
        `${match[1]} at ${match[2]} is unhealthy; restarting it.`,
        call('restart_workload', { workload: match[1], site: match[2] }),
        'remediate_reversible',
        [line.chunkId],
      );
  }
  return {
    message: { role: 'assistant', content: 'Nothing to do.', tool_calls: [] },
    intents: [],
    cited: [],
  };
}

function answer(content: string, toolCall: ToolCall, intent: string, cited: string[]): AgentTurn {
  return {
    message: { role: 'assistant', content, tool_calls: [toolCall] },
    intents: [intent],
    cited: [cited],
  };
}
