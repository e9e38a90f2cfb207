// Which executor runs which tool. Each tool has at most one executor; a tool none claims goes to the
// fallback (the echo executor, which records the call and touches nothing).

import type { Executor } from './executor.js';

export class ExecutorRegistry {
  private readonly byTool = new Map<string, Executor>();

  constructor(private readonly fallback: Executor) {}

  /** Claims every tool `executor.tools` names; a tool already claimed is an error, not a silent swap. */
  add(executor: Executor): this {
    for (const tool of executor.tools) {
      const claimed = this.byTool.get(tool);
      if (claimed)
        throw new Error(`tool ${tool} already runs on executor ${claimed.name}, not ${executor.name}`);
    }
    for (const tool of executor.tools) this.byTool.set(tool, executor);
    return this;
  }

  forTool(tool: string): Executor {
    return this.byTool.get(tool) ?? this.fallback;
  }

  /** Tool → executor name, for status pages. */
  describe(): Record<string, string> {
    return Object.fromEntries([...this.byTool].map(([tool, e]) => [tool, e.name]));
  }
}
