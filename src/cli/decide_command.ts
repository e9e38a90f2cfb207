// `carapace decide`: one decision request in ({envelope, chunks?, lobstertrap?, catalog?}), one record out.

import {
  DEFAULT_RULESET,
  type DecisionRecord,
  decide,
  isPlainObject,
  parseDecisionRequest,
} from '../engine/index.js';
import { loadCatalog } from './catalog_file.js';
import { failure, parseJson, printJson, readStdin, readTextFile } from './io.js';

export async function decideCommand(options: { file?: string; catalog?: string }): Promise<number> {
  const text = options.file !== undefined ? readTextFile(options.file) : await readStdin();
  printJson(decideRequestText(text, options.catalog));
  return 0;
}

/** The decision for a request given as JSON text; anything it cannot take is a CliFailure. */
export function decideRequestText(text: string, catalogFile?: string): DecisionRecord {
  const input = parseJson(text, 'decision request');
  if (!isPlainObject(input))
    throw failure('E_REQUEST_INVALID', 'invalid decision request', 'request: must be an object');
  const { catalog, ...rest } = input;
  const engine = { ruleset: DEFAULT_RULESET, catalog: loadCatalog(catalog, catalogFile) };
  const request = parseDecisionRequest(rest);
  if (!request.ok) throw failure(request.error.code, request.error.error, request.error.detail);
  return decide(request.value, engine);
}
