#!/usr/bin/env node
// The `carapace` command: runs the compiled CLI (built by `npm install` through the prepare script).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stdout.write(
    `${JSON.stringify({ error: 'carapace is not built', code: 'E_NOT_BUILT', detail: 'run `npm run build` (npm install does it)' })}\n`,
  );
  process.exit(2);
}
await import(main.href);
