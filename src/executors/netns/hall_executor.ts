// The data hall's executor (DESIGN.md §5): it checks that it can run the action, then asks the token
// gate to verify and redeem the token, and only after the gate returns applies the effect in the hall.
// A refused token, an unknown tool or a target the hall lacks means no effect; a failed effect rejects.

import type { ActionCall, ExecutionOutcome, Executor, TokenGate } from '../executor.js';
import { HALL_TOOLS, planHallEffect } from './effect_plan.js';
import type { DataHall } from './hall.js';

export function createHallExecutor(hall: DataHall, gate: TokenGate): Executor {
  const name = hall.simulated ? 'simulated-hall' : 'netns-hall';
  return {
    name,
    simulated: hall.simulated,
    tools: HALL_TOOLS,
    async execute(token: string, call: ActionCall): Promise<ExecutionOutcome> {
      // Before the gate: an action this hall cannot run must not spend its single-use token.
      const effect = planHallEffect(hall.topology, call.tool, call.args);
      await gate(token, call);
      const applied = await hall.apply(effect);
      return {
        executor: name,
        simulated: hall.simulated || applied.simulated,
        tool: call.tool,
        args: structuredClone(call.args),
        executed_at: applied.applied_at,
        effect: applied.effect,
        details: applied.details,
      };
    },
  };
}
