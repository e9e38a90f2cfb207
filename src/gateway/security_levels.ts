// Security levels SH-1..SH-3 (docs/security-levels.md) as checks of a deployment's actual configuration,
// not as claims: each requirement is one check over facts read from the running configuration, with the
// evidence it saw and how to fix it. A requirement Carapace has no implementation for is unmet, and says
// so. Pure: the facts are gathered by the caller (startGateway, `carapace doctor`).

export const SECURITY_LEVELS = ['SH-1', 'SH-2', 'SH-3'] as const;
export type SecurityLevel = (typeof SECURITY_LEVELS)[number];

export function isSecurityLevel(value: unknown): value is SecurityLevel {
  return typeof value === 'string' && (SECURITY_LEVELS as readonly string[]).includes(value);
}

/** One listener as configured. */
export interface ListenerFacts {
  plane: 'data' | 'control' | 'both';
  host: string;
  port: number;
  tls: boolean;
  /** The listener requires a client certificate signed by the configured CA (mutual TLS). */
  clientCerts: boolean;
}

/** What the checks read: everything comes from the configuration the gateway runs (or would run) with. */
export interface DeploymentFacts {
  planes: 'single' | 'split';
  listeners: readonly ListenerFacts[];
  /** The key execution and access tokens are signed with, or null when tokens would be unsigned. */
  tokenSigning: { algorithm: string; keyName: string } | null;
  /** The credential broker's vault (secrets sealed), with where its root key comes from; null when off. */
  vault: { root: string } | null;
  /**
   * The gateway's own private signing keys (audit checkpoint key, token key) and whether each file is
   * sealed at rest, and whether a sealing root is available to seal them; null when unknown.
   */
  privateKeys: {
    keys: readonly { name: string; path: string; sealed: boolean }[];
    sealingRoot: boolean;
  } | null;
  /** The longest a principal may be served from memory before revocation is read again (ms). */
  revocationCacheMaxMs: number;
  /** The active (not revoked, not disabled) agent principals, or null when the store could not be read. */
  agents: readonly { id: string; dpop_required: boolean; api_key_hash: string }[] | null;
  /**
   * The gateway's own TEE, as detected for its output-signing key, with the gateway's appraisal of the
   * report it obtained (none: never appraised); null when the broker is off.
   */
  tee: { tee: string; reason?: string; appraisal?: TeeSelfAppraisal } | null;
  /** The witnesses audit checkpoints are exported to, and whether each answered at start (none: absent). */
  witnesses?: readonly { name: string; url: string; reachable: boolean }[];
}

/** The gateway's appraisal of its own report (src/vault/attestation.ts SelfAppraisal), as facts. */
export interface TeeSelfAppraisal {
  obtained: boolean;
  signature: 'verified' | 'failed' | 'not_available';
  binding: 'bound' | 'not_bound' | 'not_checked';
  reason: string;
  chain?: string;
}

export interface SecurityCheck {
  id: string;
  level: SecurityLevel;
  requirement: string;
  pass: boolean;
  /** What was seen (never a secret). */
  evidence: string;
  /** How to meet it; empty when met. */
  fix: string;
}

const LOOPBACK_HOSTS = new Set(['localhost', '::1', '[::1]', '::ffff:127.0.0.1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function levelIndex(level: SecurityLevel): number {
  return SECURITY_LEVELS.indexOf(level);
}

function check(
  id: string,
  level: SecurityLevel,
  requirement: string,
  pass: boolean,
  evidence: string,
  fix: string,
): SecurityCheck {
  return { id, level, requirement, pass, evidence, fix: pass ? '' : fix };
}

const describe = (l: ListenerFacts) => `${l.plane} ${l.host}:${l.port} ${l.tls ? 'https' : 'http'}`;

/** Every check of every level, in level order. */
export function assessDeployment(facts: DeploymentFacts): SecurityCheck[] {
  const exposed = facts.listeners.filter((l) => !isLoopbackHost(l.host));
  const plaintext = exposed.filter((l) => !l.tls);
  const agents = facts.agents;
  const withoutDpop = agents?.filter((a) => !a.dpop_required) ?? [];
  const keyUses = new Map<string, number>();
  for (const a of agents ?? []) keyUses.set(a.api_key_hash, (keyUses.get(a.api_key_hash) ?? 0) + 1);
  const shared = [...keyUses.values()].filter((n) => n > 1).length;
  const control = facts.listeners.find((l) => l.plane === 'control');
  const revocation =
    facts.revocationCacheMaxMs === Number.POSITIVE_INFINITY
      ? "principals are cached up to their tier's revocation SLA (up to 5 min for T0)"
      : `principals are cached at most ${facts.revocationCacheMaxMs} ms`;
  const keysSealed = keysSealedCheck(facts);
  return [
    check(
      'tls-non-loopback',
      'SH-1',
      'TLS on every listener that is not loopback-only',
      plaintext.length === 0,
      exposed.length === 0
        ? `every listener is loopback-only (${facts.listeners.map(describe).join(', ')}); TLS is optional there`
        : `${plaintext.length === 0 ? 'TLS on' : 'plain HTTP on'} ${(plaintext.length ? plaintext : exposed).map(describe).join(', ')}`,
      'give --tls-cert and --tls-key (and --control-tls-cert/--control-tls-key for a separate control certificate), or listen on 127.0.0.1 only',
    ),
    check(
      'signed-tokens',
      'SH-1',
      'execution and access tokens are signed',
      facts.tokenSigning !== null,
      facts.tokenSigning
        ? `tokens signed ${facts.tokenSigning.algorithm} with key ${facts.tokenSigning.keyName}`
        : 'no token signing key',
      'the data directory needs its token key (keys/); it is created on first start',
    ),
    check(
      'keys-sealed',
      'SH-1',
      "credentials and the gateway's own private keys are stored sealed",
      keysSealed.pass,
      keysSealed.evidence,
      keysSealed.fix,
    ),
    check(
      'dpop-agents',
      'SH-2',
      'agents must use DPoP-bound tokens',
      agents !== null && withoutDpop.length === 0,
      agents === null
        ? 'the store could not be read: agents unknown'
        : agents.length === 0
          ? 'no active agents yet'
          : withoutDpop.length === 0
            ? `all ${agents.length} active agent(s) require DPoP`
            : `${withoutDpop.length} of ${agents.length} active agent(s) may act with a bare API key: ${withoutDpop
                .slice(0, 5)
                .map((a) => a.id)
                .join(', ')}${withoutDpop.length > 5 ? ', …' : ''}`,
      'require DPoP for each agent: POST /v1/admin/principals/:id/dpop {"required": true} (carapace agents dpop <id> on)',
    ),
    check(
      'revocation-every-action',
      'SH-2',
      'revocation is checked on every action',
      facts.revocationCacheMaxMs === 0,
      revocation,
      'run with --security-level SH-2 or higher (it reads principals on every call), or --revocation-cache-ms 0',
    ),
    check(
      'distinct-agent-keys',
      'SH-2',
      'every agent has its own key',
      agents !== null && shared === 0,
      agents === null
        ? 'the store could not be read: agents unknown'
        : shared === 0
          ? `${agents.length} active agent(s), no key shared (each key is random, shown once, stored as its hash)`
          : `${shared} key(s) shared between agents`,
      'rotate the shared keys: create one agent principal per agent, revoke the others',
    ),
    check(
      'control-plane-split',
      'SH-2',
      'the control plane is on its own listener, loopback-only or behind client certificates',
      facts.planes === 'split' &&
        control !== undefined &&
        (isLoopbackHost(control.host) || control.clientCerts),
      facts.planes === 'single'
        ? 'one listener serves both planes'
        : control
          ? `control plane on ${describe(control)}${control.clientCerts ? ' with client certificates' : ''}`
          : 'no control listener',
      'run with --planes split (the default of carapace serve); keep --control-host loopback or give --control-client-ca',
    ),
    check(
      'tee-present',
      'SH-3',
      "the gateway's own keys are bound to a TEE (attestation present)",
      facts.tee !== null && facts.tee.tee !== 'none',
      facts.tee === null
        ? 'the credential broker is off: no gateway attestation'
        : facts.tee.tee === 'none'
          ? `no TEE: ${facts.tee.reason ?? 'none detected'}`
          : `TEE ${facts.tee.tee}`,
      'run with --broker on a confidential VM exposing configfs-tsm (SEV-SNP, TDX)',
    ),
    check(
      'tee-verified',
      'SH-3',
      "the gateway's own attestation is verified: report obtained, signature verified to the vendor's pinned root, report_data binds the gateway's output-signing key",
      teeVerified(facts.tee),
      teeVerifiedEvidence(facts.tee),
      'run on SEV-SNP with configfs-tsm giving the certificate table (auxblob) or give --tee-certs <VCEK/ASK/ARK PEM>; on TDX give --tee-collateral <DCAP collateral JSON>; the report must be the one asked for at start (binding the key)',
    ),
    check(
      'revocation-1s',
      'SH-3',
      'a revocation takes effect within 1 s',
      facts.revocationCacheMaxMs <= 1000,
      revocation,
      'run with --security-level SH-2 or higher, or --revocation-cache-ms of at most 1000',
    ),
    check(
      'delegation-verification',
      'SH-3',
      'delegations are verified',
      true,
      "a delegate's tools are a subset of its parent's, its tier at most its parent's, the chain no deeper than the tier allows (src/identity/delegation.ts); revoking an agent revokes its delegates",
      '',
    ),
    check(
      'audit-witness',
      'SH-3',
      'every audit checkpoint is cosigned by or exported to a witness',
      (facts.witnesses ?? []).some((w) => w.reachable),
      facts.witnesses === undefined || facts.witnesses.length === 0
        ? 'no witness configured: checkpoints are signed by the gateway only'
        : facts.witnesses
            .map((w) => `${w.name} at ${w.url} ${w.reachable ? 'reachable' : 'unreachable'} at start`)
            .join('; '),
      'run a witness (carapace witness serve) and start with --witness URL=WITNESS.vkey; each checkpoint is then cosigned (GET /v1/audit/witness, carapace audit verify --witness-key)',
    ),
  ];
}

function teeVerified(tee: DeploymentFacts['tee']): boolean {
  const a = tee?.appraisal;
  return (
    tee !== null &&
    tee.tee !== 'none' &&
    a !== undefined &&
    a.obtained &&
    a.signature === 'verified' &&
    a.binding === 'bound'
  );
}

/** Names each part of the self-appraisal that is missing: the report, the signature, the binding. */
function teeVerifiedEvidence(tee: DeploymentFacts['tee']): string {
  if (tee === null) return 'the credential broker is off: no gateway attestation';
  if (tee.tee === 'none') return `no TEE report obtained: ${tee.reason ?? 'none detected'}`;
  const a = tee.appraisal;
  if (a === undefined || !a.obtained)
    return `TEE ${tee.tee} but no report obtained and appraised${a ? `: ${a.reason}` : ''}`;
  const parts = [
    'report obtained',
    a.signature === 'verified'
      ? `signature verified (chain from ${a.chain ?? 'unknown'})`
      : a.signature === 'failed'
        ? 'signature FAILED'
        : 'signature NOT CHECKED (no chain available)',
    a.binding === 'bound'
      ? "binds the gateway's key"
      : a.binding === 'not_bound'
        ? "binding FAILED (report_data does not bind the gateway's key)"
        : 'binding NOT CHECKED (report unreadable for its provider)',
  ];
  return `TEE ${tee.tee}: ${parts.join(', ')}${a.reason ? ` — ${a.reason}` : ''}`;
}

/**
 * keys-sealed: the vault's secrets (when the broker is on they are always sealed) and every private
 * signing key file of the gateway sealed under the sealing root. Plain PEM keys fail it, named.
 */
function keysSealedCheck(facts: DeploymentFacts): { pass: boolean; evidence: string; fix: string } {
  const vault = facts.vault
    ? `secrets sealed in the vault (AES-256-GCM), root key from ${facts.vault.root}`
    : 'the credential broker is off: no vault (no upstream credential is held)';
  const keys = facts.privateKeys;
  if (!keys)
    return {
      pass: false,
      evidence: `${vault}; the gateway's private key files are unknown`,
      fix: 'run carapace doctor on the data directory to see how its keys are stored',
    };
  const sealed = keys.keys.filter((k) => k.sealed);
  const plain = keys.keys.filter((k) => !k.sealed);
  const list = (ks: readonly { name: string }[]) => ks.map((k) => k.name).join(', ');
  const keyEvidence =
    keys.keys.length === 0
      ? `no private key yet: made at first start ${keys.sealingRoot ? 'sealed' : 'as plain PEM (no sealing root)'}`
      : [
          sealed.length > 0 ? `sealed: ${list(sealed)}` : '',
          plain.length > 0 ? `plain PEM: ${plain.map((k) => `${k.name} (${k.path})`).join(', ')}` : '',
        ]
          .filter((t) => t !== '')
          .join('; ');
  const pass = keys.keys.length === 0 ? keys.sealingRoot : plain.length === 0;
  return {
    pass,
    evidence: `${vault}; API keys stored as SHA-256 only; gateway private keys: ${keyEvidence}`,
    fix: keys.sealingRoot
      ? 'restart the gateway: it seals the plain keys of its data directory in place at start; seal a --token-key file with carapace keys seal --file <path>'
      : 'give a sealing root: set CARAPACE_MASTER_KEY (32 bytes, base64 or hex), or run with --broker and store a secret (creates <data>/vault/master.key), or use a TEE; the gateway then seals its keys in place at the next start',
  };
}

/** Whether a gateway at `level` (or none) must keep agents on DPoP: SH-2 and above. */
export function requiresAgentDpop(level: SecurityLevel | undefined): boolean {
  return level !== undefined && levelIndex(level) >= levelIndex('SH-2');
}

/** The checks a level requires (its own and every lower level's). */
export function checksFor(checks: readonly SecurityCheck[], level: SecurityLevel): SecurityCheck[] {
  return checks.filter((c) => levelIndex(c.level) <= levelIndex(level));
}

/** The highest level whose every check passes, or null. */
export function levelMet(checks: readonly SecurityCheck[]): SecurityLevel | null {
  let met: SecurityLevel | null = null;
  for (const level of SECURITY_LEVELS) {
    if (checksFor(checks, level).every((c) => c.pass)) met = level;
    else break;
  }
  return met;
}

/** The gateway does not start at a level whose requirements are not met; names each unmet one. */
export class SecurityLevelError extends Error {
  readonly code = 'E_SECURITY_LEVEL';
  constructor(
    readonly level: SecurityLevel,
    readonly unmet: readonly SecurityCheck[],
  ) {
    super(
      `${level} is not met: ${unmet.map((c) => `${c.id} (${c.requirement}: ${c.evidence}; fix: ${c.fix})`).join('; ')}`,
    );
    this.name = 'SecurityLevelError';
  }
}

/** Throws SecurityLevelError when any requirement of `level` fails. */
export function enforceSecurityLevel(level: SecurityLevel, facts: DeploymentFacts): SecurityCheck[] {
  const checks = checksFor(assessDeployment(facts), level);
  const unmet = checks.filter((c) => !c.pass);
  if (unmet.length > 0) throw new SecurityLevelError(level, unmet);
  return checks;
}
