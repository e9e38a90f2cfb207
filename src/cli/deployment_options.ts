// The flags that say how a gateway is deployed (planes, listeners, TLS, security level), parsed once for
// `carapace serve`, which starts with them, and `carapace doctor`, which checks them without starting.

import { readFileSync } from 'node:fs';
import type { ListenerConfig, TlsFiles } from '../gateway/listeners.js';
import { isSecurityLevel, SECURITY_LEVELS, type SecurityLevel } from '../gateway/security_levels.js';
import { parseCosignerKey } from '../witness/cosignature.js';
import type { WitnessTarget } from '../witness/exporter.js';
import { failure } from './io.js';

export const SECURITY_LEVEL_ENV = 'CARAPACE_SECURITY_LEVEL';
export const DEFAULT_CONTROL_PORT = 8788;

export interface DeploymentFlags {
  port?: string;
  host?: string;
  planes?: string;
  controlPort?: string;
  controlHost?: string;
  tlsCert?: string;
  tlsKey?: string;
  controlTlsCert?: string;
  controlTlsKey?: string;
  controlClientCa?: string;
  securityLevel?: string;
  revocationCacheMs?: string;
  /** `URL=WITNESS_VKEY_FILE` (or `URL=<vkey text>`), once per witness. */
  witness?: string[];
}

export interface Deployment {
  planes: 'single' | 'split';
  data: ListenerConfig;
  /** Null with a single listener. */
  control: ListenerConfig | null;
  tls?: TlsFiles;
  controlTls?: TlsFiles;
  securityLevel?: SecurityLevel;
  /** From --revocation-cache-ms, else 0 at SH-2 and above, else undefined (each tier's SLA). */
  revocationCacheMaxMs?: number;
  /** Witnesses each audit checkpoint is submitted to. */
  witnesses?: WitnessTarget[];
}

/** `URL=KEY`: the witness's submission prefix and its cosigner vkey (type 0x04), as text or a file. */
export function parseWitnessFlag(flag: string): WitnessTarget {
  const eq = flag.indexOf('=');
  const url = eq < 0 ? '' : flag.slice(0, eq);
  const keyOption = flag.slice(eq + 1);
  if (!/^https?:\/\/[^\s]+$/.test(url))
    throw failure(
      'E_SERVE_OPTION',
      'invalid --witness',
      `${flag}: use URL=WITNESS.vkey (http(s) URL of the witness)`,
    );
  let keyText = keyOption;
  if (!keyOption.includes('+')) {
    try {
      keyText = readFileSync(keyOption, 'utf8');
    } catch (e) {
      throw failure(
        'E_SERVE_OPTION',
        'invalid --witness',
        `cannot read witness key ${keyOption}: ${(e as Error).message}`,
      );
    }
  }
  try {
    return { url, key: parseCosignerKey(keyText) };
  } catch (e) {
    throw failure('E_SERVE_OPTION', 'invalid --witness', `${keyOption}: ${(e as Error).message}`);
  }
}

function port(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw failure('E_SERVE_OPTION', `invalid ${flag}`, `${text}: a port from 0 to 65535`);
  return n;
}

function tlsPair(cert: string | undefined, key: string | undefined, prefix: string): TlsFiles | undefined {
  if ((cert === undefined) !== (key === undefined))
    throw failure(
      'E_SERVE_OPTION',
      `--${prefix}tls-cert and --${prefix}tls-key go together`,
      'give both the certificate chain and its private key (PEM files)',
    );
  return cert !== undefined && key !== undefined ? { certFile: cert, keyFile: key } : undefined;
}

/** `carapace serve` defaults to split planes: the control plane on loopback 8788, apart from agents. */
export function parseDeployment(flags: DeploymentFlags): Deployment {
  const planes = flags.planes ?? 'split';
  if (planes !== 'split' && planes !== 'single')
    throw failure('E_SERVE_OPTION', 'invalid --planes', `${planes}: use split or single`);
  const level = flags.securityLevel ?? process.env[SECURITY_LEVEL_ENV];
  if (level !== undefined && level !== '' && !isSecurityLevel(level))
    throw failure('E_SERVE_OPTION', 'invalid security level', `${level}: use ${SECURITY_LEVELS.join(', ')}`);
  const tls = tlsPair(flags.tlsCert, flags.tlsKey, '');
  const ownControlTls = tlsPair(flags.controlTlsCert, flags.controlTlsKey, 'control-');
  const base = ownControlTls ?? tls;
  if (flags.controlClientCa !== undefined && !base)
    throw failure(
      'E_SERVE_OPTION',
      '--control-client-ca needs TLS on the control plane',
      'give --tls-cert/--tls-key or --control-tls-cert/--control-tls-key',
    );
  if (planes === 'single' && (ownControlTls || flags.controlClientCa !== undefined))
    throw failure(
      'E_SERVE_OPTION',
      'control-plane TLS options need --planes split',
      'one listener serves both planes',
    );
  const controlTls =
    base && flags.controlClientCa !== undefined ? { ...base, clientCaFile: flags.controlClientCa } : base;
  const data: ListenerConfig = {
    host: flags.host ?? '127.0.0.1',
    port: port(flags.port, 8787, '--port'),
    ...(tls ? { tls } : {}),
  };
  const control: ListenerConfig | null =
    planes === 'split'
      ? {
          host: flags.controlHost ?? '127.0.0.1',
          port: port(flags.controlPort, DEFAULT_CONTROL_PORT, '--control-port'),
          ...(controlTls ? { tls: controlTls } : {}),
        }
      : null;
  let revocationCacheMaxMs: number | undefined;
  if (flags.revocationCacheMs !== undefined) {
    revocationCacheMaxMs = Number(flags.revocationCacheMs);
    if (!Number.isInteger(revocationCacheMaxMs) || revocationCacheMaxMs < 0)
      throw failure(
        'E_SERVE_OPTION',
        'invalid --revocation-cache-ms',
        `${flags.revocationCacheMs}: milliseconds, 0 or more`,
      );
  } else if (level === 'SH-2' || level === 'SH-3') revocationCacheMaxMs = 0;
  return {
    planes,
    data,
    control,
    ...(tls ? { tls } : {}),
    ...(controlTls ? { controlTls } : {}),
    ...(isSecurityLevel(level) ? { securityLevel: level } : {}),
    ...(revocationCacheMaxMs !== undefined ? { revocationCacheMaxMs } : {}),
    ...(flags.witness && flags.witness.length > 0 ? { witnesses: flags.witness.map(parseWitnessFlag) } : {}),
  };
}
