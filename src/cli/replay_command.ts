// `carapace replay FILE`: decide every recorded record (JSON lines) again and report what differs.

import { DEFAULT_RULESET, type ReplayOutcome, replayRecord } from '../engine/index.js';
import { loadCatalog } from './catalog_file.js';
import { printJson, readTextFile } from './io.js';

const MAX_REPLAY_BYTES = 256 * 1024 * 1024;

export function replayCommand(file: string, options: { catalog?: string }): number {
  const engine = { ruleset: DEFAULT_RULESET, catalog: loadCatalog(undefined, options.catalog) };
  const lines = readTextFile(file, MAX_REPLAY_BYTES).split('\n');
  const reports: ({ line: number } & Partial<ReplayOutcome>)[] = [];
  let records = 0;
  let identical = 0;
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    records++;
    let recorded: unknown;
    try {
      recorded = JSON.parse(line);
    } catch (e) {
      reports.push({ line: i + 1, identical: false, differences: [`not JSON: ${(e as Error).message}`] });
      continue;
    }
    const outcome = replayRecord(recorded, engine);
    if (outcome.identical) identical++;
    else reports.push({ line: i + 1, ...outcome });
  }
  printJson({
    records,
    identical,
    differing: records - identical,
    ruleset_hash: engine.ruleset.hash,
    catalog_hash: engine.catalog.hash,
    differences: reports,
  });
  return records === identical ? 0 : 1;
}
