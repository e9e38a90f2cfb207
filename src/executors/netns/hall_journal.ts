// The hall's journal of applied effects and heals, one JSON line each in the run directory, so that
// `carapace hall status` in a later process can say what was done, including what was only recorded.

import type { HallEffect } from './effect_plan.js';
import { appendFileSync, readFileSync } from 'node:fs';
import type { JournalEntry } from './hall.js';

export function appendJournal(path: string, entry: JournalEntry): void {
  appendFileSync(path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

/** The newest `limit` entries, oldest first; an absent journal is empty, an unreadable line is skipped. */
export function readJournal(path: string, limit = 50): JournalEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-limit)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JournalEntry];
      } catch {
        return [];
      }
    });
}

/** The journal line for an applied effect: what was done, where, and whether it was only simulated. */
export function effectEntry(
  effect: Pick<HallEffect, 'tool' | 'site' | 'entity' | 'kind'>,
  simulated: boolean,
  sentence: string,
): Omit<JournalEntry, 'at'> {
  return {
    tool: effect.tool,
    site: effect.site,
    entity: effect.entity,
    kind: effect.kind,
    simulated,
    effect: sentence,
  };
}
