// The built-in default ruleset and demo data hall catalog, compiled once at load.

import { compileCatalog } from '../catalog.js';
import type { Engine } from '../decide.js';
import { unwrap } from '../errors.js';
import { compileRuleset } from '../ruleset.js';
import { DEFAULT_RULESET_SOURCE, DEMO_CATALOG_SOURCE } from './data.generated.js';

export const DEFAULT_RULESET = unwrap(compileRuleset(DEFAULT_RULESET_SOURCE));
export const DEMO_CATALOG = unwrap(compileCatalog(DEMO_CATALOG_SOURCE));
export const DEFAULT_ENGINE: Engine = { ruleset: DEFAULT_RULESET, catalog: DEMO_CATALOG };
export { DEFAULT_RULESET_SOURCE, DEMO_CATALOG_SOURCE };
