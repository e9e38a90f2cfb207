// `carapace ruleset show|hash`: the compiled default ruleset, as data, and its identity.

import { DEFAULT_RULESET } from '../engine/index.js';
import { printJson } from './io.js';

export function rulesetShowCommand(): number {
  printJson({
    version: DEFAULT_RULESET.version,
    hash: DEFAULT_RULESET.hash,
    ruleset: DEFAULT_RULESET.source,
  });
  return 0;
}

export function rulesetHashCommand(): number {
  process.stdout.write(`${DEFAULT_RULESET.hash}\n`);
  return 0;
}
