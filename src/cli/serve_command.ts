// `carapace serve`: the gateway on http://localhost:8787. With --dev (what `npm start` runs) it also
// brings up the demo data hall, real where this machine allows it and labelled SIMULATED where not,
// and attaches the hall's executor, so an allowed action really changes the hall. With --kubernetes,
// spine isolation is a NetworkPolicy on the cluster in KUBECONFIG instead. With --upstream-url (or
// CARAPACE_UPSTREAM_URL) it also serves the OpenAI-compatible proxy, holding the upstream key it reads
// from CARAPACE_UPSTREAM_API_KEY (never from the command line).

import {
  createDataHall,
  createHallExecutor,
  type DataHall,
  netnsAvailability,
} from '../executors/netns/index.js';
import {
  KubernetesExecutor,
  KubernetesExecutorError,
  networkPolicyApiFromKubeconfig,
} from '../executors/kubernetes/index.js';
import { PolicyLoadError, startGateway } from '../gateway/serve.js';
import type { OpenAIProxyOptions } from '../adapters/openai/routes.js';
import { proxySettings } from '../adapters/openai/options.js';
import { resolveDataDir } from './data_dir.js';
import { failure } from './io.js';
import { openMcpGateway } from './mcp_command.js';

export async function serveCommand(options: {
  dataDir?: string;
  port?: string;
  host?: string;
  dev?: boolean;
  hall?: string;
  kubernetes?: boolean;
  policy?: string;
  upstreamUrl?: string;
  /** Only set when someone tried to pass the upstream key as a flag: refused, never used. */
  upstreamApiKey?: string | boolean;
  mcpConfig?: string;
}): Promise<number> {
  const openai = openaiProxyOptions(options);
  // The MCP gateway's tools join the engine's catalog, and its executor calls their upstream servers.
  const mcp =
    options.mcpConfig === undefined
      ? null
      : openMcpGateway(options.mcpConfig, resolveDataDir(options.dataDir));
  // With --kubernetes, spine isolation acts on the cluster in KUBECONFIG instead of the data hall.
  const hallChoice = options.hall ?? (options.dev && !options.kubernetes ? 'auto' : 'none');
  if (options.kubernetes && hallChoice !== 'none')
    throw failure(
      'E_SERVE_OPTION',
      'choose one executor for isolation',
      '--kubernetes runs with --hall none',
    );
  // Fails closed before the gateway starts: no kubeconfig, or one naming a cluster it refuses, is an error.
  const cluster = options.kubernetes ? await kubeconfigCluster() : null;
  if (!['auto', 'netns', 'simulated', 'none'].includes(hallChoice))
    throw failure('E_SERVE_OPTION', 'invalid --hall', `${hallChoice}: use auto, netns, simulated or none`);
  if (hallChoice === 'netns') {
    const available = netnsAvailability();
    if (!available.ok)
      throw failure('E_HALL_UNAVAILABLE', 'the netns data hall cannot run here', available.reason);
  }
  let hall: DataHall | null = null;
  let hallWasUp = false;
  if (hallChoice !== 'none') {
    hall = createDataHall({ simulated: hallChoice === 'simulated' });
    hallWasUp = (await hall.status()).up;
    const status = await hall.up();
    process.stdout.write(`data hall: ${status.label}\n`);
  }
  const dataHall = hall;
  const gateway = await startGateway({
    ...(options.policy !== undefined ? { policyFile: options.policy } : {}),
    dataDir: resolveDataDir(options.dataDir),
    port: options.port === undefined ? 8787 : Number(options.port),
    host: options.host ?? '127.0.0.1',
    dev: options.dev ?? false,
    ...(openai || mcp
      ? { adapters: { ...(openai ? { openai } : {}), ...(mcp ? { mcp: { gateway: mcp } } : {}) } }
      : {}),
    ...(mcp ? { engine: mcp.engine } : {}),
    hall: dataHall,
    executors: (gate) => [
      ...(dataHall ? [createHallExecutor(dataHall, gate)] : []),
      ...(cluster ? [new KubernetesExecutor({ api: cluster, gate })] : []),
      ...(mcp ? [mcp.executor(gate)] : []),
    ],
  }).catch(async (e: unknown) => {
    await mcp?.close();
    if (hall && !hallWasUp) await hall.down().catch(() => {});
    if (e instanceof PolicyLoadError)
      throw failure(e.code, 'the policy does not compile; the gateway did not start', e.message);
    throw e;
  });
  process.stdout.write(
    `carapace gateway listening on ${gateway.url} (data directory ${resolveDataDir(options.dataDir)})\n`,
  );
  const policy = gateway.ctx.policy?.current;
  if (policy)
    process.stdout.write(
      `policy ${policy.name} ${policy.hash} enforced from ${options.policy} (reloaded when it changes)\n`,
    );
  if (openai)
    process.stdout.write(
      `openai proxy: POST ${gateway.url}/v1/chat/completions -> ${new URL(openai.upstreamUrl).origin} (${openai.upstreamApiKey ? 'upstream key from CARAPACE_UPSTREAM_API_KEY' : 'no upstream key: CARAPACE_UPSTREAM_API_KEY is not set'})\n`,
    );
  if (mcp)
    process.stdout.write(
      `mcp gateway: Streamable HTTP on ${gateway.url}/mcp (agent keys), fronting ${[...mcp.upstreams.keys()].join(', ')}\n`,
    );
  if (cluster)
    process.stdout.write(
      `kubernetes executor: spine isolation applies NetworkPolicy to ${cluster.cluster}\n`,
    );
  if (gateway.devAdminKey)
    process.stdout.write(`dev admin API key (shown once, stored only as a hash): ${gateway.devAdminKey}\n`);
  process.stdout.write(`web console: ${gateway.url}/ (sign in with an admin, approver or auditor key)\n`);
  if (options.dev)
    process.stdout.write(
      'the 03:14 scenario, live, with the gate off and on: the console’s Before/After page, or npx carapace demo\n',
    );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // Graceful: stop taking requests, then flush and checkpoint the audit log, then close the store.
  await gateway.close();
  await mcp?.close();
  if (hall && !hallWasUp) await hall.down();
  return 0;
}

/** The proxy's options from --upstream-url or CARAPACE_UPSTREAM_URL, and the key from the environment only. */
function openaiProxyOptions(options: {
  upstreamUrl?: string;
  upstreamApiKey?: string | boolean;
}): OpenAIProxyOptions | null {
  if (options.upstreamApiKey !== undefined)
    throw failure(
      'E_KEY_FLAG_REFUSED',
      'the upstream key is not taken as a flag',
      'set $CARAPACE_UPSTREAM_API_KEY instead: keys on the command line leak into shell history and ps',
    );
  const url = options.upstreamUrl ?? process.env.CARAPACE_UPSTREAM_URL;
  if (url === undefined || url === '') return null;
  const key = (process.env.CARAPACE_UPSTREAM_API_KEY ?? '').trim();
  const proxy: OpenAIProxyOptions = { upstreamUrl: url, ...(key !== '' ? { upstreamApiKey: key } : {}) };
  try {
    proxySettings(proxy);
  } catch (e) {
    throw failure('E_SERVE_OPTION', 'invalid OpenAI proxy settings', (e as Error).message);
  }
  return proxy;
}

async function kubeconfigCluster() {
  try {
    return await networkPolicyApiFromKubeconfig();
  } catch (e) {
    if (e instanceof KubernetesExecutorError)
      throw failure(e.code, 'cannot use the Kubernetes executor', e.message);
    throw e;
  }
}
