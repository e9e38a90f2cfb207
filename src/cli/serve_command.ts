// `carapace serve`: the gateway on http://localhost:8787. With --dev (what `npm start` runs) it also
// brings up the demo data hall, real where this machine allows it and labelled SIMULATED where not,
// and attaches the hall's executor, so an allowed action really changes the hall. With --kubernetes,
// spine isolation is a NetworkPolicy on the cluster in KUBECONFIG instead. With --upstream-url (or
// CARAPACE_UPSTREAM_URL) it also serves the OpenAI-compatible proxy, holding the upstream key it reads
// from CARAPACE_UPSTREAM_API_KEY (never from the command line). With --broker it runs the credential
// broker: http.request with secrets sealed in <data>/vault, and the upstream key sealed there on first run
// and unsealed for each upstream request only. With --broker --sealed tcp://127.0.0.1:PORT, http.request
// runs in the sealed process (`carapace sealed serve`), which holds those secrets instead of this one.

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
import { ListenerConfigError } from '../gateway/listeners.js';
import {
  type LocalBrokerOptions,
  PolicyLoadError,
  type SealedBrokerOptions,
  startGateway,
} from '../gateway/serve.js';
import { levelMet as levelMetOf, SecurityLevelError } from '../gateway/security_levels.js';
import {
  parseSealedEndpoint,
  SealedChannel,
  SealedTransportError,
} from '../executors/http/sealed/sealed_client.js';
import { readOwnReport } from '../attest/index.js';
import { type TeeAppraisalFlags, teeAppraiser } from './tee_appraiser.js';
import { GatewayAttestation, TsmReportError } from '../vault/attestation.js';
import { bootstrapSecret } from '../vault/bootstrap.js';
import { VaultError } from '../vault/errors.js';
import { KeyError } from '../crypto/ed25519_key.js';
import { OutputSigner } from '../vault/signed_output.js';
import { Vault } from '../vault/vault.js';
import type { OpenAIProxyOptions } from '../adapters/openai/routes.js';
import { proxySettings } from '../adapters/openai/options.js';
import { isPostgresUrl, redactPostgresUrl } from '../store/pg_store.js';
import { StoreError } from '../store/store_error.js';
import { resolveDataDir } from './data_dir.js';
import { type DeploymentFlags, parseDeployment } from './deployment_options.js';
import { failure } from './io.js';
import { openMcpGateway } from './mcp_command.js';

/** What `carapace serve` is given: its flags, as commander parses them. */
export type ServeOptions = DeploymentFlags & {
  dataDir?: string;
  dev?: boolean;
  hall?: string;
  kubernetes?: boolean;
  policy?: string;
  upstreamUrl?: string;
  /** Only set when someone tried to pass the upstream key as a flag: refused, never used. */
  upstreamApiKey?: string | boolean;
  mcpConfig?: string;
  broker?: boolean;
  /** postgres://… shared by the instances of a cluster; default the data directory's SQLite file. */
  store?: string;
  /** The execution-token key file every instance of a cluster shares. */
  tokenKey?: string;
  sealed?: string;
} & TeeAppraisalFlags;

export async function serveCommand(options: ServeOptions): Promise<number> {
  const deployment = parseDeployment(options);
  const openai = openaiProxyOptions(options);
  if (options.broker && options.mcpConfig !== undefined)
    throw failure(
      'E_SERVE_OPTION',
      '--broker and --mcp-config together are not supported yet',
      'the MCP catalog would need http.request in its base catalog; run them as two gateways',
    );
  if (options.sealed !== undefined && !options.broker)
    throw failure('E_SERVE_OPTION', '--sealed is a way to run the broker', 'give --broker with it');
  const dataDir = resolveDataDir(options.dataDir);
  const broker = options.broker
    ? options.sealed !== undefined
      ? await openSealedBroker(options.sealed)
      : openBroker(dataDir, options)
    : null;
  // The proxy's upstream key is sealed in this gateway's own vault (also when the broker is sealed).
  const upstreamVault = broker ? (broker.sealed === undefined ? broker.vault : new Vault(dataDir)) : null;
  const upstreamKey = upstreamVault && openai ? sealedUpstreamKey(upstreamVault, openai.upstreamUrl) : null;
  if (openai && upstreamVault && upstreamKey !== null) {
    delete openai.upstreamApiKey;
    openai.upstreamSecret = { vault: upstreamVault, id: UPSTREAM_SECRET_ID };
  }
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
  if (options.store !== undefined && !isPostgresUrl(options.store))
    throw failure(
      'E_SERVE_OPTION',
      'invalid --store',
      'use postgres://user@host:port/database[?schema=name]',
    );
  const gateway = await startGateway({
    ...(options.policy !== undefined ? { policyFile: options.policy } : {}),
    ...(options.store !== undefined ? { store: options.store } : {}),
    ...(options.tokenKey !== undefined ? { tokenKeyFile: options.tokenKey } : {}),
    dataDir: resolveDataDir(options.dataDir),
    port: deployment.data.port,
    host: deployment.data.host,
    planes: deployment.planes,
    ...(deployment.control
      ? { controlPort: deployment.control.port, controlHost: deployment.control.host }
      : {}),
    ...(deployment.tls ? { tls: deployment.tls } : {}),
    ...(deployment.controlTls ? { controlTls: deployment.controlTls } : {}),
    ...(deployment.securityLevel ? { securityLevel: deployment.securityLevel } : {}),
    ...(deployment.witnesses ? { witnesses: deployment.witnesses } : {}),
    ...(deployment.revocationCacheMaxMs !== undefined
      ? { identity: { revocationCacheMaxMs: deployment.revocationCacheMaxMs } }
      : {}),
    dev: options.dev ?? false,
    ...(openai || mcp
      ? { adapters: { ...(openai ? { openai } : {}), ...(mcp ? { mcp: { gateway: mcp } } : {}) } }
      : {}),
    ...(mcp ? { engine: mcp.engine } : {}),
    ...(broker ? { broker } : {}),
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
    if (e instanceof StoreError)
      throw failure(e.code, 'the store cannot be opened; the gateway did not start', e.detail);
    if (e instanceof SecurityLevelError)
      throw failure(
        e.code,
        `security level ${e.level} is not met; the gateway did not start`,
        `${e.unmet.length} unmet: ${e.message.slice(e.message.indexOf(': ') + 2)} (carapace doctor --level ${e.level} lists every check)`,
      );
    if (e instanceof ListenerConfigError)
      throw failure(e.code, 'a TLS file cannot be read; the gateway did not start', e.message);
    // A sealed key under another root, changed, or without its root: never replaced by a fresh key.
    if (e instanceof KeyError)
      throw failure(
        e.code,
        "the gateway's signing keys cannot be opened; the gateway did not start",
        e.message,
      );
    if (e instanceof VaultError)
      throw failure(
        e.code,
        "the sealing root of the gateway's keys cannot be read; the gateway did not start",
        e.message,
      );
    throw e;
  });
  process.stdout.write(
    `carapace gateway listening on ${gateway.url} (data directory ${resolveDataDir(options.dataDir)})\n`,
  );
  if (options.store !== undefined)
    process.stdout.write(`store: ${redactPostgresUrl(options.store)} (shared with the other instances)\n`);
  process.stdout.write(
    deployment.planes === 'split'
      ? `control plane listening on ${gateway.controlUrl}${deployment.controlTls?.clientCaFile ? ' (client certificates required)' : ''} (admin, approver and auditor routes, the console; agent credentials refused); data plane on ${gateway.url}\n`
      : `planes: single listener (control and data routes on ${gateway.url}); --planes split separates them\n`,
  );
  const met = levelMetOf(gateway.security);
  process.stdout.write(
    `security level: ${deployment.securityLevel ? `${deployment.securityLevel} enforced` : 'none enforced'}; this configuration meets ${met ?? 'no level'} (carapace doctor for the checklist)\n`,
  );
  const policy = gateway.ctx.policy?.current;
  if (policy)
    process.stdout.write(
      `policy ${policy.name} ${policy.hash} enforced from ${options.policy} (reloaded when it changes)\n`,
    );
  if (openai)
    process.stdout.write(
      `openai proxy: POST ${gateway.url}/v1/chat/completions -> ${new URL(openai.upstreamUrl).origin} (${upstreamKey ? `upstream key ${upstreamKey.how}` : openai.upstreamApiKey ? 'upstream key from CARAPACE_UPSTREAM_API_KEY' : 'no upstream key: CARAPACE_UPSTREAM_API_KEY is not set'})\n`,
    );
  if (broker && broker.sealed === undefined)
    process.stdout.write(
      `credential broker: http.request with ${broker.vault.ids().length} sealed secret(s) in ${resolveDataDir(options.dataDir)}/vault; catalog ${gateway.ctx.engine.catalog.name} ${gateway.ctx.engine.catalog.hash}; tee: ${broker.attestation.status.tee}${broker.attestation.status.tee === 'none' ? ` (${broker.attestation.status.reason})` : `, measurement ${broker.signer.measurement}`}\n`,
    );
  if (broker && broker.sealed !== undefined)
    process.stdout.write(
      `credential broker: http.request in the sealed process at ${broker.endpoint} (${Array.isArray(broker.pong.secrets) ? broker.pong.secrets.length : 0} sealed secret(s) there, none here); catalog ${gateway.ctx.engine.catalog.name} ${gateway.ctx.engine.catalog.hash}; tee: ${String(broker.pong.tee)}\n`,
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
  process.stdout.write(
    `web console: ${gateway.controlUrl}/ (sign in with an admin, approver or auditor key)\n`,
  );
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
  if (broker?.sealed !== undefined) (broker.sealed as SealedChannel).close();
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

/** The vault, its output-signing key and their attestation (or tee: none), for --broker. */
function openBroker(dataDir: string, tee: TeeAppraisalFlags): LocalBrokerOptions {
  const appraiseReport = teeAppraiser(tee);
  try {
    const vault = new Vault(dataDir);
    const signer = OutputSigner.fromVault(vault);
    // Inside a TEE, the report's measurement is read back (src/attest) and signed with every output,
    // and the report is appraised against the vendor's chain (the self-appraisal SH-3 requires).
    const attestation = new GatewayAttestation(signer, undefined, {
      readReport: readOwnReport,
      appraiseReport,
    });
    attestation.attachStartupEvidence();
    // A report that does not bind the key asked for is not this gateway's: it does not start on it.
    if (attestation.selfAppraisal.binding === 'not_bound')
      throw new TsmReportError(attestation.selfAppraisal.reason);
    return { vault, signer, attestation };
  } catch (e) {
    if (e instanceof VaultError)
      throw failure(e.code, 'the credential broker cannot open its vault', e.message);
    if (e instanceof TsmReportError)
      throw failure(e.code, 'the TEE did not attest the signing key; the gateway did not start', e.message);
    throw e;
  }
}

/**
 * The sealed process at `endpoint` (loopback only), pinged before the gateway starts: one that does not
 * answer stops the start (fail closed: no broker that might not be there).
 */
async function openSealedBroker(endpoint: string): Promise<SealedBrokerOptions> {
  let channel: SealedChannel;
  try {
    channel = new SealedChannel(parseSealedEndpoint(endpoint));
    const pong = await channel.request({ type: 'ping' });
    if (pong.type !== 'pong')
      throw new SealedTransportError(
        typeof pong.code === 'string' ? pong.code : 'E_SEALED_ERROR',
        'the sealed process did not answer the ping',
      );
    return { sealed: channel, endpoint, pong };
  } catch (e) {
    if (e instanceof SealedTransportError)
      throw failure(e.code, 'the sealed process cannot be reached; the gateway did not start', e.message);
    throw e;
  }
}

export const UPSTREAM_SECRET_ID = 'openai-upstream';

/**
 * With --broker, the proxy's upstream key lives sealed in the vault: the first run seals
 * CARAPACE_UPSTREAM_API_KEY, later runs load it sealed (the variable may then be unset). Null when
 * neither exists. The proxy unseals it for each upstream request only (upstreamSecret).
 */
function sealedUpstreamKey(vault: Vault, upstreamUrl: string): { how: string } | null {
  const url = new URL(upstreamUrl);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  const policy = {
    schemes: [url.protocol.slice(0, -1)],
    hosts: [{ match: 'exact', value: url.hostname.replace(/^\[(.*)\]$/, '$1') }],
    methods: ['GET', 'POST'],
    ports: [url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)],
    addresses: loopback ? 'any' : 'public',
    inject: { kind: 'header', name: 'Authorization', template: 'Bearer {secret}' },
  };
  try {
    const sealed = vault.ids().includes(UPSTREAM_SECRET_ID);
    if (!sealed && (process.env.CARAPACE_UPSTREAM_API_KEY ?? '').trim() === '') return null;
    const boot = bootstrapSecret(vault, {
      id: UPSTREAM_SECRET_ID,
      envVar: 'CARAPACE_UPSTREAM_API_KEY',
      policy,
    });
    const how =
      boot.source === 'sealed-now'
        ? `sealed now from CARAPACE_UPSTREAM_API_KEY as vault secret ${UPSTREAM_SECRET_ID}`
        : `loaded sealed (vault secret ${UPSTREAM_SECRET_ID} v${boot.version}${boot.envIgnored ? '; CARAPACE_UPSTREAM_API_KEY ignored: rotate to change it' : ''})`;
    return { how };
  } catch (e) {
    if (e instanceof VaultError)
      throw failure(e.code, 'the upstream key cannot be sealed or unsealed', e.message);
    throw e;
  }
}
