// `carapace sealed serve|ping`: the sealed process of the credential broker (docs/vault.md) as its own
// process. `serve` holds the vault and the output-signing key of its own data directory and answers the
// length-prefixed JSON transport on a loopback port; it acts only on execution tokens signed by the
// gateway's token key (given as its verifier key, never the private key). Its first run can seal a key
// read from the environment (--bootstrap), and later runs load it sealed. `ping` asks a running one
// for its public facts: TEE status, signing key, secrets by id (never a value).

import { KeyError, readVerifierKey } from '../crypto/ed25519_key.js';
import { NoteError } from '../crypto/signed_note.js';
import {
  parseSealedEndpoint,
  SealedChannel,
  SealedTransportError,
} from '../executors/http/sealed/sealed_client.js';
import { startSealedServer } from '../executors/http/sealed/sealed_server.js';
import { readOwnReport } from '../attest/index.js';
import { GatewayAttestation } from '../vault/attestation.js';
import { bootstrapSecret } from '../vault/bootstrap.js';
import { VaultError } from '../vault/errors.js';
import { OutputSigner } from '../vault/signed_output.js';
import { TsmReportError } from '../vault/configfs_tsm.js';
import { Vault } from '../vault/vault.js';
import { parseYamlOrJson } from './catalog_file.js';
import { resolveDataDir } from './data_dir.js';
import { failure, printJson, readTextFile } from './io.js';

export interface SealedServeOptions {
  dataDir?: string;
  port?: string;
  host?: string;
  /** The gateway's execution-token verifier key: a file holding it, or the line itself. */
  tokenKey: string;
  /** With bootstrapEnv and bootstrapPolicy: the secret sealed from the environment on the first run. */
  bootstrap?: string;
  bootstrapEnv?: string;
  bootstrapPolicy?: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function sealedServeCommand(options: SealedServeOptions): Promise<number> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host))
    throw failure(
      'E_SERVE_OPTION',
      'the sealed process listens on loopback only',
      `${host} is not 127.0.0.1, ::1 or localhost: the transport carries tokens and outputs in clear`,
    );
  const port = Number(options.port ?? '8790');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw failure('E_SERVE_OPTION', 'invalid --port', `${options.port} is not a port`);
  let tokenKey;
  try {
    tokenKey = readVerifierKey(options.tokenKey);
  } catch (e) {
    if (e instanceof KeyError || e instanceof NoteError)
      throw failure(
        'E_KEY_INVALID',
        "cannot read the gateway's token key",
        `${e.message} (give the gateway's verifier key: carapace keys show --origin carapace.local/exec)`,
      );
    throw e;
  }
  const dataDir = resolveDataDir(options.dataDir);
  const bootstrapFlags = [options.bootstrap, options.bootstrapEnv, options.bootstrapPolicy];
  if (bootstrapFlags.some((f) => f !== undefined) && !bootstrapFlags.every((f) => f !== undefined))
    throw failure(
      'E_ARG_INVALID',
      'an incomplete bootstrap',
      '--bootstrap ID takes --bootstrap-env VAR and --bootstrap-policy FILE with it',
    );
  const vault = new Vault(dataDir);
  let bootLine: string | null = null;
  let signer: OutputSigner;
  let attestation: GatewayAttestation;
  try {
    if (options.bootstrap !== undefined) {
      const policy = parseYamlOrJson(
        readTextFile(options.bootstrapPolicy as string),
        `policy ${String(options.bootstrapPolicy)}`,
      );
      const boot = bootstrapSecret(vault, {
        id: options.bootstrap,
        envVar: options.bootstrapEnv as string,
        policy,
      });
      bootLine =
        boot.source === 'sealed-now'
          ? `secret ${boot.id} sealed now from $${String(options.bootstrapEnv)} (later runs need no variable)`
          : `secret ${boot.id} v${boot.version} loaded sealed${boot.envIgnored ? ` ($${String(options.bootstrapEnv)} ignored: rotate to change it)` : ''}`;
    }
    signer = OutputSigner.fromVault(vault);
    attestation = new GatewayAttestation(signer, undefined, { readReport: readOwnReport });
  } catch (e) {
    if (e instanceof VaultError) throw failure(e.code, 'the sealed process cannot open its vault', e.message);
    throw e;
  }
  let server;
  try {
    server = await startSealedServer({
      vault,
      signer,
      attestation,
      tokenKey: { publicKey: tokenKey.publicKey, name: tokenKey.name },
      host,
      port,
    });
  } catch (e) {
    if (e instanceof TsmReportError)
      throw failure(
        e.code,
        'the TEE did not attest the signing key; the sealed process did not start',
        e.message,
      );
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES')
      throw failure('E_SERVE_PORT', 'cannot listen', `${host}:${port}: ${code}`);
    throw e;
  }
  if (bootLine) process.stdout.write(`${bootLine}\n`);
  const tee = attestation.status;
  process.stdout.write(
    `sealed process listening on tcp://${host.includes(':') ? `[${host}]` : host}:${server.port} (data directory ${dataDir}; ${vault.ids().length} sealed secret(s); tokens of ${tokenKey.name}; tee: ${tee.tee}${tee.tee === 'none' ? ` (${tee.reason})` : `, measurement ${signer.measurement}`})\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

/** Asks a sealed process for its pong; exit 0 when it answers, an error otherwise. */
export async function sealedPingCommand(options: { url: string; timeoutMs?: string }): Promise<number> {
  let channel: SealedChannel;
  try {
    channel = new SealedChannel(parseSealedEndpoint(options.url), Number(options.timeoutMs ?? '5000'));
  } catch (e) {
    if (e instanceof SealedTransportError) throw failure(e.code, 'invalid sealed endpoint', e.message);
    throw e;
  }
  try {
    const pong = await channel.request({ type: 'ping' });
    if (pong.type !== 'pong')
      throw failure(
        typeof pong.code === 'string' ? pong.code : 'E_SEALED_ERROR',
        'the sealed process did not answer the ping',
        typeof pong.message === 'string' ? pong.message : JSON.stringify(pong.type),
      );
    printJson(pong);
    return 0;
  } catch (e) {
    if (e instanceof SealedTransportError)
      throw failure(e.code, 'the sealed process did not answer', e.message);
    throw e;
  } finally {
    channel.close();
  }
}
