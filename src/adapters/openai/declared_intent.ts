// The intent a tool call declares. OpenAI tool calls carry none, so unless the model fills the optional
// `_intent` argument (a convention: the agent adds it to its tools' schemas), the proxy declares what the
// catalog classifies the call as. R1 (declared ≠ detected) can then only fire for calls that declare.

import { type CompiledCatalog, classifyAction, type IntentClass, isIntentClass } from '../../engine/index.js';

/** The argument a model may fill with the intent it declares; removed before the call is decided. */
export const INTENT_ARGUMENT = '_intent';

export type DeclaredIntent =
  | {
      ok: true;
      intent: IntentClass;
      /**
       * `declared`: the model said so in `_intent`; `classified`: the catalog's classification of these
       * arguments (R1 cannot fire); `assumed`: the call cannot be classified, the engine denies it (R9)
       * whatever is declared, and the most severe intent is recorded.
       */
      source: 'declared' | 'classified' | 'assumed';
      /** The arguments without `_intent`: what is decided and what the token binds. */
      args: Record<string, unknown>;
      stripped: boolean;
    }
  | { ok: false; detail: string };

export function declaredIntent(
  catalog: CompiledCatalog,
  tool: string,
  args: Record<string, unknown>,
): DeclaredIntent {
  if (Object.hasOwn(args, INTENT_ARGUMENT)) {
    const { [INTENT_ARGUMENT]: intent, ...rest } = args;
    if (!isIntentClass(intent))
      return {
        ok: false,
        detail: `${INTENT_ARGUMENT}: must be one of observe, recommend, remediate_reversible, remediate_destructive`,
      };
    return { ok: true, intent, source: 'declared', args: rest, stripped: true };
  }
  const classified = classifyAction(catalog, tool, args);
  return classified.ok
    ? { ok: true, intent: classified.intent, source: 'classified', args, stripped: false }
    : { ok: true, intent: 'remediate_destructive', source: 'assumed', args, stripped: false };
}
