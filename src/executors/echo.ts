// The executor of last resort: for tools no real executor runs (reading telemetry, writing a
// recommendation), it redeems the token and records the call, touching nothing. Its outcome says so.

import type { ActionCall, ExecutionOutcome, Executor, TokenGate } from './executor.js';

export function createEchoExecutor(gate: TokenGate, now: () => number = Date.now): Executor {
  return {
    name: 'echo',
    simulated: true,
    tools: [],
    async execute(token: string, call: ActionCall): Promise<ExecutionOutcome> {
      await gate(token, call);
      return {
        executor: 'echo',
        simulated: true,
        tool: call.tool,
        args: structuredClone(call.args),
        executed_at: new Date(now()).toISOString(),
        effect: `ECHO: ${call.tool} was recorded; no system was touched`,
      };
    },
  };
}
