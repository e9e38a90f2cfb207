// `carapace serve`: the gateway on http://localhost:8787 (issue 4 in progress: see the README).

import { startGateway } from '../gateway/serve.js';
import { resolveDataDir } from './data_dir.js';

export async function serveCommand(options: {
  dataDir?: string;
  port?: string;
  host?: string;
  dev?: boolean;
}): Promise<number> {
  const gateway = await startGateway({
    dataDir: resolveDataDir(options.dataDir),
    port: options.port === undefined ? 8787 : Number(options.port),
    host: options.host ?? '127.0.0.1',
    dev: options.dev ?? false,
  });
  process.stdout.write(
    `carapace gateway listening on ${gateway.url} (data directory ${resolveDataDir(options.dataDir)})\n`,
  );
  if (gateway.devAdminKey)
    process.stdout.write(`dev admin API key (shown once, stored only as a hash): ${gateway.devAdminKey}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // Graceful: stop taking requests, then flush and checkpoint the audit log, then close the store.
  await gateway.close();
  return 0;
}
