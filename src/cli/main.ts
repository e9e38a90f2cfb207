// The `carapace` command line. Every command prints JSON (or plain text where it says so) and exits
// 0 on success, 1 when a check finds a difference, 2 with {error, code, detail} for input it cannot take.

import { Command, Option } from 'commander';
import {
  agentsAddCommand,
  agentsListCommand,
  agentsTierCommand,
  agentActionCommand,
  agentsDpopCommand,
  channelsAddCommand,
} from './agents_command.js';
import {
  channelsSignCommand,
  instructionsApproveCommand,
  instructionsDiffCommand,
  instructionsListCommand,
  instructionsRegisterCommand,
  instructionsRevokeCommand,
  instructionsShowCommand,
} from './instructions_command.js';
import { type AttestVerifyOptions, attestVerifyCommand } from './attest_command.js';
import { decideCommand } from './decide_command.js';
import { type DemoOptions, demoCommand } from './demo_command.js';
import { scenariosCommand } from './scenarios_command.js';
import { type InspectOptions, inspectCommand, type RedactOptions, redactCommand } from './inspect_command.js';
import { type WitnessServeOptions, witnessServeCommand } from './witness_command.js';
import {
  auditExportCommand,
  auditProofCommand,
  auditVerifyCommand,
  auditVerifyReceiptCommand,
} from './audit_command.js';
import { DEFAULT_GATEWAY_URL } from './gateway_client.js';
import {
  hallDownCommand,
  type HallCommandOptions,
  hallHealCommand,
  hallStatusCommand,
  hallUpCommand,
} from './hall_command.js';
import { runCommand } from './io.js';
import { keysGenerateCommand, keysSealCommand, keysShowCommand } from './keys_command.js';
import { policyCompileCommand, policyDiffCommand, policyTestCommand } from './policy_command.js';
import { replayCommand } from './replay_command.js';
import { reviewDecideCommand, reviewListCommand } from './review_command.js';
import { rulesetHashCommand, rulesetShowCommand } from './ruleset_command.js';
import {
  mcpCatalogCommand,
  mcpPinsAcceptCommand,
  mcpPinsListCommand,
  mcpStdioCommand,
  type McpStdioOptions,
} from './mcp_command.js';
import {
  secretsCatalogCommand,
  secretsListCommand,
  secretsPutCommand,
  secretsRemoveCommand,
  secretsRotateCommand,
} from './secrets_command.js';
import { sealedPingCommand, type SealedServeOptions, sealedServeCommand } from './sealed_command.js';
import { type ServeOptions, serveCommand } from './serve_command.js';
import { doctorCommand } from './doctor_command.js';
import type { TeeAppraisalFlags } from './tee_appraiser.js';
import { DEFAULT_CONTROL_PORT, type DeploymentFlags, SECURITY_LEVEL_ENV } from './deployment_options.js';
import { type VerifyOutputOptions, verifyOutputCommand } from './verify_output_command.js';

const program = new Command();
program
  .name('carapace')
  .description('Action-layer security gateway for AI agents')
  .showHelpAfterError()
  .exitOverride((err) => {
    // Usage errors keep commander's message on stderr and exit 2, like any input the CLI cannot take.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

program
  .command('decide')
  .description('decide one request {envelope, chunks?, lobstertrap?, catalog?} read as JSON from stdin')
  .option('-f, --file <path>', 'read the request from a file instead of stdin')
  .option('-c, --catalog <path>', 'tool catalog (YAML or JSON) instead of the built-in demo data hall')
  .action((options: { file?: string; catalog?: string }) => runCommand(() => decideCommand(options)));

program
  .command('replay')
  .description('decide recorded decision records (JSON lines) again; exit 1 if any differs')
  .argument('<file>', 'decision records, one JSON object per line')
  .option('-c, --catalog <path>', 'tool catalog the records were decided against (default: built-in)')
  .action((file: string, options: { catalog?: string }) => runCommand(() => replayCommand(file, options)));

const ruleset = program.command('ruleset').description('the compiled default ruleset');
ruleset
  .command('show')
  .description('print the ruleset as data with its version and hash')
  .action(() => runCommand(rulesetShowCommand));
ruleset
  .command('hash')
  .description('print the ruleset hash (sha256 over RFC 8785 canonical JSON)')
  .action(() => runCommand(rulesetHashCommand));

const policy = program
  .command('policy')
  .description('operator policies in YAML or English (docs/policy.md): compile, test against cases, diff');
policy
  .command('compile')
  .description('print the compiled rules with their sources, the hash and the rules_hash')
  .argument('<file>', 'a policy: .yaml/.yml, .json, or English .policy/.txt/.en')
  .action((file: string) => runCommand(() => policyCompileCommand(file)));
policy
  .command('test')
  .description(
    'decide each case with the engine and the policy; exit 1 naming the cases not decided as expected',
  )
  .argument('<file>', 'the policy file')
  .argument(
    '<cases>',
    'a YAML or JSON file {cases: [{name, envelope, chunks?, ..., expect: {decision, rule?}}]}',
  )
  .option('-c, --catalog <path>', 'tool catalog (YAML or JSON) instead of the built-in demo data hall')
  .action((file: string, cases: string, options: { catalog?: string }) =>
    runCommand(() => policyTestCommand(file, cases, options)),
  );
policy
  .command('diff')
  .description('compare what two policies mean; exit 1 listing the rules added and removed if they differ')
  .argument('<a>', 'a policy file')
  .argument('<b>', 'another policy file')
  .action((a: string, b: string) => runCommand(() => policyDiffCommand(a, b)));

const keys = program.command('keys').description("the audit log's Ed25519 signing key");
keys
  .command('generate')
  .description('generate the log key in <data>/keys (never replaces one)')
  .option('-d, --data-dir <dir>', 'data directory (default $CARAPACE_DATA_DIR or ./.carapace)')
  .option('--origin <name>', 'log origin and key name', 'carapace.local/audit')
  .action((options: { dataDir?: string; origin?: string }) => runCommand(() => keysGenerateCommand(options)));
keys
  .command('show')
  .description("print the log's verifier key (C2SP vkey)")
  .option('-d, --data-dir <dir>', 'data directory')
  .option('--origin <name>', 'log origin and key name', 'carapace.local/audit')
  .action((options: { dataDir?: string; origin?: string }) => runCommand(() => keysShowCommand(options)));
keys
  .command('seal')
  .description(
    'seal a private key file in place under the sealing root ($CARAPACE_MASTER_KEY or <data>/vault/master.key); the plain file is wiped',
  )
  .requiredOption('--file <path>', 'the private key file (e.g. a --token-key file)')
  .option('--name <key-name>', 'the key name it signs as', 'carapace.local/exec')
  .option('-d, --data-dir <dir>', 'data directory (for <data>/vault/master.key)')
  .action((options: { dataDir?: string; file: string; name: string }) =>
    runCommand(() => keysSealCommand(options)),
  );

const audit = program.command('audit').description('the tamper-evident audit log');
audit
  .command('verify')
  .description('check chain, tree, checkpoint signatures and consistency; exit 1 naming the first bad entry')
  .argument('[path]', 'a data directory or an export bundle (default: the data directory)')
  .option(
    '-k, --key <vkey>',
    'the log public key: a file or the vkey text (default: the key stored with the log); repeat it for each instance of a cluster',
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  )
  .option('--store <url>', "a cluster's log: postgres://user@host:port/db[?schema=name] instead of a path")
  .option('--checkpoint <file>', 'a signed checkpoint seen before: the log must still contain it')
  .option('--origin <name>', 'log origin', 'carapace.local/audit')
  .option('--max-unsigned <n>', 'most entries allowed after the newest checkpoint (default 2000)')
  .option(
    '--witness-key <vkey>',
    "require a witness's cosignatures (its vkey file or text): every entry under a checkpoint it cosigned; repeat per witness",
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  )
  .action(
    (
      path: string | undefined,
      options: {
        witnessKey?: string[];
        key?: string[];
        checkpoint?: string;
        origin?: string;
        maxUnsigned?: string;
        store?: string;
      },
    ) => runCommand(() => auditVerifyCommand(path, options)),
  );
audit
  .command('export')
  .description('write a bundle (public key + every entry and checkpoint) that the verifier accepts')
  .requiredOption('-o, --out <file>', 'bundle file to create')
  .option('-d, --data-dir <dir>', 'data directory')
  .option('--store <url>', "a cluster's log: postgres://user@host:port/db[?schema=name]")
  .action((options: { out: string; dataDir?: string; store?: string }) =>
    runCommand(() => auditExportCommand(options)),
  );
audit
  .command('proof')
  .description('write a receipt for entry SEQ: the entry, its inclusion proof and the covering checkpoint')
  .argument('<seq>', 'entry number')
  .option('-d, --data-dir <dir>', 'data directory')
  .option('-o, --out <file>', 'write the receipt here instead of stdout')
  .option('--store <url>', "a cluster's log: postgres://user@host:port/db[?schema=name]")
  .action((seq: string, options: { dataDir?: string; out?: string; store?: string }) =>
    runCommand(() => auditProofCommand(seq, options)),
  );
audit
  .command('verify-receipt')
  .description('check a receipt with nothing but the log public key')
  .argument('<file>', 'receipt file')
  .requiredOption(
    '-k, --key <vkey>',
    "the log public key: a file or the vkey text; repeat it for each of a cluster's instances",
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  )
  .action((file: string, options: { key: string[] }) =>
    runCommand(() => auditVerifyReceiptCommand(file, options)),
  );

const attest = program
  .command('attest')
  .description(
    'TEE attestation: AMD SEV-SNP, Intel SGX/TDX DCAP, AWS Nitro, verified offline (docs/attestation.md)',
  );
attest
  .command('verify')
  .description(
    'appraise evidence against pinned vendor roots and a policy; print the appraisal; exit 1 if rejected',
  )
  .requiredOption('--kind <kind>', 'sev-snp, sgx, tdx or nitro')
  .requiredOption('--evidence <file>', 'the report, quote or document (raw, hex or base64)')
  .option('--collateral <file>', 'sgx/tdx: the collateral JSON (PCK CRLs, TCB info, QE identity)')
  .option('--certs <files...>', 'sev-snp: the VCEK, and optionally ASK and ARK (PEM or DER)')
  .option('--at <time>', 'verification time, ISO 8601 with offset or epoch ms (default: now)')
  .option('--policy <file>', 'appraisal policy, YAML or JSON (default: no debug, UpToDate TCB only)')
  .action((options: AttestVerifyOptions) => runCommand(() => attestVerifyCommand(options)));

/** How the gateway is deployed: planes, listeners, TLS, security level (serve and doctor). */
function deploymentFlags(command: Command): Command {
  return command
    .option(
      '--planes <planes>',
      'split: the control plane on its own listener; single: one listener for both',
      'split',
    )
    .option(
      '--control-port <port>',
      `the control plane's port (with --planes split)`,
      String(DEFAULT_CONTROL_PORT),
    )
    .option('--control-host <host>', `the control plane's address`, '127.0.0.1')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate chain (PEM), on both planes')
    .option('--tls-key <file>', "the certificate's private key (PEM)")
    .option('--control-tls-cert <file>', 'another certificate for the control plane (default --tls-cert)')
    .option('--control-tls-key <file>', 'its private key (PEM)')
    .option(
      '--control-client-ca <file>',
      'require client certificates from this CA (PEM) on the control plane',
    )
    .option(
      '--security-level <level>',
      `refuse to start unless SH-1, SH-2 or SH-3 is met (default $${SECURITY_LEVEL_ENV}; docs/security-levels.md)`,
    )
    .option(
      '--revocation-cache-ms <ms>',
      'the longest an agent is served from memory (default: its tier SLA; 0 at SH-2+)',
    )
    .option(
      '--witness <url=vkey>',
      'submit each audit checkpoint to this witness (URL=its cosigner vkey file or text); repeat per witness',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    );
}

const serve = program
  .command('serve')
  .description('run the gateway HTTP API')
  .option('-d, --data-dir <dir>', 'data directory (default $CARAPACE_DATA_DIR or ./.carapace)')
  .option('-p, --port <port>', 'port', '8787')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--dev', 'create a dev admin and print its API key once, and bring up the demo data hall')
  .option(
    '--hall <kind>',
    'the data hall executor: auto, netns, simulated or none (default: auto with --dev)',
  )
  .option('--kubernetes', 'isolate spines with NetworkPolicy on the cluster in $KUBECONFIG (no data hall)')
  .option('--policy <file>', 'enforce a policy file (YAML, JSON or English), reloaded when it changes')
  .option(
    '--upstream-url <url>',
    'serve the OpenAI proxy to this chat-completions base URL (default $CARAPACE_UPSTREAM_URL); its key comes from $CARAPACE_UPSTREAM_API_KEY',
  )
  .addOption(new Option('--upstream-api-key [key]', 'refused: set $CARAPACE_UPSTREAM_API_KEY').hideHelp())
  .option(
    '--mcp-config <file>',
    'serve the MCP gateway at /mcp, fronting the MCP servers of this config (docs/mcp.md)',
  )
  .option(
    '--broker',
    'run the credential broker: http.request with secrets from <data>/vault (docs/vault.md); adds the tool to the catalog',
  )
  .option(
    '--store <url>',
    'share the store with other instances: postgres://user@host:port/db[?schema=name] (default: <data>/carapace.db)',
  )
  .option(
    '--token-key <file>',
    "sign execution tokens with this private key file (mode 0600) instead of <data>/keys': give every instance of a cluster the same one",
  )
  .option(
    '--sealed <endpoint>',
    'with --broker: run http.request in the sealed process at tcp://127.0.0.1:PORT (carapace sealed serve) instead of this one',
  )
  .option(
    '--tee-certs <file...>',
    "with --broker on SEV-SNP: the VCEK (and ASK, ARK) to verify the gateway's own report with, when configfs-tsm gives no certificate table",
  )
  .option(
    '--tee-collateral <file>',
    "with --broker on TDX: the DCAP collateral JSON to verify the gateway's own quote with",
  );
deploymentFlags(serve).action((options: ServeOptions) => runCommand(() => serveCommand(options)));

deploymentFlags(
  program
    .command('doctor')
    .description('check the deployment serve would run with these flags against security levels SH-1..SH-3')
    .option('-d, --data-dir <dir>', 'data directory (default $CARAPACE_DATA_DIR or ./.carapace)')
    .option('-p, --port <port>', 'port', '8787')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--broker', 'the credential broker would run (secrets sealed in <data>/vault)')
    .option('--level <level>', 'exit 1 unless this level (SH-1, SH-2, SH-3) is met')
    .option('--json', 'print the checklist as JSON')
    .option('--tee-certs <file...>', "SEV-SNP: the VCEK (and ASK, ARK) for the gateway's own report")
    .option('--tee-collateral <file>', "TDX: the DCAP collateral JSON for the gateway's own quote"),
).action(
  (
    options: DeploymentFlags &
      TeeAppraisalFlags & { dataDir?: string; broker?: boolean; level?: string; json?: boolean },
  ) => runCommand(() => doctorCommand(options)),
);

const sealed = program
  .command('sealed')
  .description(
    "the credential broker's sealed process: the vault and the output-signing key outside the gateway (docs/vault.md)",
  );
sealed
  .command('serve')
  .description(
    'hold the vault of a data directory and answer the sealed transport on a loopback port; act only on the gateway’s tokens',
  )
  .option('-d, --data-dir <dir>', 'its own data directory (default $CARAPACE_DATA_DIR or ./.carapace)')
  .option('-p, --port <port>', 'port on loopback (0: any free port)', '8790')
  .option('--host <host>', 'loopback address to listen on', '127.0.0.1')
  .requiredOption(
    '--token-key <vkey|file>',
    "the gateway's execution-token verifier key (carapace keys show --origin carapace.local/exec)",
  )
  .option(
    '--bootstrap <id>',
    'first run: seal the value of --bootstrap-env as this secret; later runs load it sealed',
  )
  .option('--bootstrap-env <var>', 'the environment variable the first run reads')
  .option('--bootstrap-policy <file>', 'the use policy the bootstrapped secret is sealed with')
  .action((options: SealedServeOptions) => runCommand(() => sealedServeCommand(options)));
const witness = program
  .command('witness')
  .description(
    'a transparency-log witness that cosigns audit checkpoints (c2sp.org/tlog-witness; docs/audit.md)',
  );
witness
  .command('serve')
  .description('cosign checkpoints of the logs it trusts, each proved consistent with the last it cosigned')
  .requiredOption('-d, --data-dir <dir>', 'its own data directory: its key and the state of each log')
  .option('-p, --port <port>', 'port (0: any free port)', '8789')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--name <name>', 'its key name, on first start', 'carapace.local/witness')
  .option(
    '--log-key <vkey>',
    'a log key it trusts (file or vkey text, carapace keys show); repeat per log',
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  )
  .action((options: WitnessServeOptions) => runCommand(() => witnessServeCommand(options)));

sealed
  .command('ping')
  .description('ask a sealed process for its TEE status, signing key and secrets by id; exit 0 if it answers')
  .option('--url <endpoint>', 'where it listens', 'tcp://127.0.0.1:8790')
  .option('--timeout-ms <ms>', 'how long to wait for the connection', '5000')
  .action((options: { url: string; timeoutMs?: string }) => runCommand(() => sealedPingCommand(options)));

// Commands that talk to a running gateway. The API key comes from $CARAPACE_API_KEY only; --api-key is
// declared (hidden) just so that it is refused with an explanation instead of echoed in a usage error.
function gatewayCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .option(
      '--url <url>',
      `the gateway's control-plane URL (default $CARAPACE_CONTROL_URL, $CARAPACE_URL or ${DEFAULT_GATEWAY_URL})`,
    )
    .addOption(new Option('--api-key [key]', 'refused: set $CARAPACE_API_KEY').hideHelp());
}
type Conn = { url?: string; apiKey?: string | boolean };

const agents = program.command('agents').description('principals on a running gateway (admin key)');
gatewayCommand(agents, 'add', 'create a principal; prints its API key, shown this once')
  .argument('<name>', 'principal name')
  .requiredOption('--role <role>', 'agent, approver, admin, auditor or service')
  .option('--channel <channel>', 'the ingestion channel it is bound to')
  .option('--tier <tier>', 'certified trust tier T0-T7 (default T0)')
  .action((name: string, options: Conn & { role: string; channel?: string; tier?: string }) =>
    runCommand(() => agentsAddCommand(name, options)),
  );
gatewayCommand(agents, 'list', 'list principals (never their keys)').action((options: Conn) =>
  runCommand(() => agentsListCommand(options)),
);
gatewayCommand(agents, 'tier', "set a principal's certified trust tier (audited)")
  .argument('<id>', 'principal id, e.g. agent:ops-bot')
  .argument('<tier>', 'T0 to T7')
  .action((id: string, tier: string, options: Conn) =>
    runCommand(() => agentsTierCommand(id, tier, options)),
  );

for (const [action, description] of [
  ['revoke', 'revoke a principal and every delegate below it (final; audited)'],
  ['reset-breaker', "close an agent's open circuit breaker (audited)"],
  ['accept-trust', "accept a held rise of an agent's trust score (audited)"],
  ['trust', "an agent's effective tier and why, score, anti-gaming state and breaker"],
] as const)
  gatewayCommand(agents, action, description)
    .argument('<id>', 'principal id, e.g. agent:ops-bot')
    .action((id: string, options: Conn) => runCommand(() => agentActionCommand(action, id, options)));
gatewayCommand(agents, 'dpop', 'require DPoP of a principal, or stop requiring it (audited)')
  .argument('<id>', 'principal id')
  .argument('<required|optional>', 'required or optional')
  .action((id: string, required: string, options: Conn) =>
    runCommand(() => agentsDpopCommand(id, required, options)),
  );

const channels = program
  .command('channels')
  .description('ingestion channels on a running gateway (admin key)');
gatewayCommand(channels, 'add', 'create an ingestion channel with a fixed trust level')
  .argument('<name>', 'channel name')
  .requiredOption('--trust <trust>', 'untrusted, semi_trusted or trusted')
  .action((name: string, options: Conn & { trust: string }) =>
    runCommand(() => channelsAddCommand(name, options)),
  );

gatewayCommand(
  channels,
  'sign',
  'make a channel signed: its chunks need a valid signature to keep its trust (audited)',
)
  .argument('<name>', 'channel name')
  .option('--ed25519 <key>', 'the Ed25519 public key: 32 bytes in base64url, or a .pem file')
  .option('--hmac-secret-file <file>', 'a file holding the HMAC-SHA256 secret in base64 (32 bytes or more)')
  .action((name: string, options: Conn & { ed25519?: string; hmacSecretFile?: string }) =>
    runCommand(() => channelsSignCommand(name, options)),
  );

const instructions = program
  .command('instructions')
  .description("agents' approved instruction sets: system prompts and tool lists pinned by hash (admin key)");
gatewayCommand(
  instructions,
  'list',
  'list instruction sets (approved, pending, revoked), without their content',
)
  .option('--agent <id>', 'only this agent')
  .option('--status <status>', 'approved, pending or revoked')
  .action((options: Conn & { agent?: string; status?: string }) =>
    runCommand(() => instructionsListCommand(options)),
  );
for (const [action, description] of [
  ['show', 'a set with its content and its diff against the agent’s approved set (JSON)'],
  ['diff', 'the diff of a set against the agent’s latest approved set (text)'],
] as const)
  gatewayCommand(instructions, action, description)
    .argument('<agent>', 'agent id, e.g. agent:ops-bot')
    .argument('<hash>', 'set hash, sha256:...')
    .action((agent: string, hash: string, options: Conn) =>
      runCommand(() =>
        action === 'show'
          ? instructionsShowCommand(agent, hash, options)
          : instructionsDiffCommand(agent, hash, options),
      ),
    );
gatewayCommand(instructions, 'approve', 'show the diff, then approve the set (with --yes; audited)')
  .argument('<agent>', 'agent id')
  .argument('<hash>', 'set hash, sha256:...')
  .option('--note <text>', 'a note for the audit log')
  .option('--yes', 'approve after the diff is shown')
  .action((agent: string, hash: string, options: Conn & { note?: string; yes?: boolean }) =>
    runCommand(() => instructionsApproveCommand(agent, hash, options)),
  );
gatewayCommand(instructions, 'revoke', 'revoke a set: requests carrying it are refused (audited)')
  .argument('<agent>', 'agent id')
  .argument('<hash>', 'set hash, sha256:...')
  .option('--note <text>', 'a note for the audit log')
  .action((agent: string, hash: string, options: Conn & { note?: string }) =>
    runCommand(() => instructionsRevokeCommand(agent, hash, options)),
  );
gatewayCommand(
  instructions,
  'register',
  'register and approve a set from a JSON file {system, tools} (audited)',
)
  .argument('<file>', 'the set as JSON')
  .requiredOption('--agent <id>', 'agent id')
  .requiredOption('--surface <surface>', 'openai or mcp')
  .option('--note <text>', 'a note for the audit log')
  .action((file: string, options: Conn & { agent: string; surface: string; note?: string }) =>
    runCommand(() => instructionsRegisterCommand(file, options)),
  );

const review = program.command('review').description('human reviews on a running gateway (approver key)');
gatewayCommand(review, 'list', 'list reviews')
  .option('--status <status>', 'pending, approved, rejected or expired')
  .action((options: Conn & { status?: string }) => runCommand(() => reviewListCommand(options)));
gatewayCommand(review, 'approve', 'approve a review (the gateway re-evaluates the action first)')
  .argument('<id>', 'review id (rev_...)')
  .option('--note <text>', 'a note for the audit log')
  .action((id: string, options: Conn & { note?: string }) =>
    runCommand(() => reviewDecideCommand('approve', id, options)),
  );
gatewayCommand(review, 'reject', 'reject a review')
  .argument('<id>', 'review id (rev_...)')
  .option('--note <text>', 'why (required)')
  .action((id: string, options: Conn & { note?: string }) =>
    runCommand(() => reviewDecideCommand('reject', id, options)),
  );

const mcp = program
  .command('mcp')
  .description(
    'the MCP gateway over stdio for one agent ($CARAPACE_API_KEY), fronting the MCP servers of a config (docs/mcp.md)',
  )
  .option('--config <file>', 'the MCP gateway configuration (YAML or JSON)')
  .option('-d, --data-dir <dir>', 'data directory (default $CARAPACE_DATA_DIR or ./.carapace)')
  .option('-p, --port <port>', "port of the gateway's HTTP API, for reviews and pins (default: any free one)")
  .option('--host <host>', "address of the gateway's HTTP API", '127.0.0.1')
  .option('--policy <file>', 'enforce a policy file (YAML, JSON or English)')
  .option('--session <id>', 'the Carapace session of this agent (default: a new one)')
  .action((options: McpStdioOptions) => runCommand(() => mcpStdioCommand(options)));
const pins = mcp.command('pins').description('MCP tool pins on a running gateway');
gatewayCommand(
  pins,
  'list',
  'list pinned tool definitions and changes awaiting acceptance (admin or auditor key)',
).action((options: Conn) => runCommand(() => mcpPinsListCommand(options)));
gatewayCommand(
  pins,
  'accept',
  "accept a tool's changed definition, by the hash you reviewed (admin key; audited)",
)
  .argument('<tool>', 'SERVER/TOOL, as pins list shows them')
  .requiredOption('--hash <hash>', 'the pending hash (sha256:...)')
  .option('--note <text>', 'a note for the audit log')
  .action((tool: string, options: Conn & { hash?: string; note?: string }) =>
    runCommand(() => mcpPinsAcceptCommand(tool, options)),
  );
mcp
  .command('catalog')
  .description('print the tool catalog a config makes (for carapace replay --catalog)')
  .argument('<config>', 'the MCP gateway configuration')
  .action((config: string) => runCommand(() => mcpCatalogCommand({ config })));

const secrets = program
  .command('secrets')
  .description(
    'sealed secrets of the credential broker in <data>/vault (values on stdin only; docs/vault.md)',
  );
function secretsCommand(name: string, description: string): Command {
  return secrets
    .command(name)
    .description(description)
    .option('-d, --data-dir <dir>', 'data directory (default $CARAPACE_DATA_DIR or ./.carapace)')
    .addOption(new Option('--value [value]', 'refused: pipe the value on stdin').hideHelp());
}
type SecretsOpts = { dataDir?: string; policy?: string; value?: string | boolean };
secretsCommand('put', 'seal a new secret read from stdin, bound to its use policy')
  .argument('<id>', 'secret id, e.g. github')
  .requiredOption('--policy <file>', 'the use policy (YAML or JSON): hosts, methods, injection, limits')
  .action((id: string, options: SecretsOpts) => runCommand(() => secretsPutCommand(id, options)));
secretsCommand('rotate', 'seal a new value (stdin) as the next version; --policy replaces the policy too')
  .argument('<id>', 'secret id')
  .option('--policy <file>', 'a new use policy')
  .action((id: string, options: SecretsOpts) => runCommand(() => secretsRotateCommand(id, options)));
secretsCommand('rm', 'remove a secret')
  .argument('<id>', 'secret id')
  .action((id: string, options: SecretsOpts) => runCommand(() => secretsRemoveCommand(id, options)));
secretsCommand(
  'list',
  'ids, versions, policies and whether each still unseals (never values); exit 1 if one does not',
).action((options: SecretsOpts) => runCommand(() => secretsListCommand(options)));
secrets
  .command('catalog')
  .description('print the catalog a gateway with --broker decides against (for carapace replay --catalog)')
  .action(() => runCommand(secretsCatalogCommand));

program
  .command('verify-output')
  .description(
    'verify a signed output (or an /v1/execute answer holding one): structure, attestation evidence, signature; exit 1 unless all pass',
  )
  .argument('<file>', 'the signed output as JSON')
  .option('--expected-measurement <hex>', 'the TEE measurement the output must carry')
  .option('--nonce <hex>', 'the 32-byte nonce you sent to GET /v1/attestation')
  .option('--allow-no-tee', 'accept an output that says tee: none on its signature alone')
  .option('--at <time>', 'verification time for the evidence (default now)')
  .action((file: string, options: VerifyOutputOptions) =>
    runCommand(() => verifyOutputCommand(file, options)),
  );

program
  .command('demo')
  .description(
    'the 03:14 scenario live: a scripted agent and a poisoned syslog line, with the gate off and on, in the data hall',
  )
  .option('--gate <which>', 'off, on or both', 'both')
  .option('--hall <kind>', 'auto (netns where possible), netns or simulated', 'auto')
  .option('-d, --data-dir <dir>', 'data directory for the demo gateway (default: a new temporary one)')
  .option('--sla-cost-per-minute <usd>', 'the assumed cost of a site outage per minute', '9000')
  .option('--probe-interval-ms <ms>', 'how often each canary probes', '1000')
  .action((options: DemoOptions) => runCommand(() => demoCommand(options)));

program
  .command('inspect')
  .description(
    'scan standard input for injection, PII and secrets; print {injection, pii, secrets, lobstertrap} (never secret values)',
  )
  .option('--json-input', 'standard input is JSON: scan every value, also PII split across fields')
  .action((options: InspectOptions) => runCommand(() => inspectCommand(options)));

program
  .command('redact')
  .description('print standard input with PII and secrets replaced')
  .option('--json-input', 'standard input is JSON: print the redacted JSON')
  .option(
    '--strategy <s>',
    'placeholder, mask, hash ($CARAPACE_REDACT_KEY is the key) or remove',
    'placeholder',
  )
  .action((options: RedactOptions) => runCommand(() => redactCommand(options)));

program
  .command('scenarios')
  .description('run the engine on the demo data hall scenarios and record each decision in the audit log')
  .option('-d, --data-dir <dir>', 'data directory (default $CARAPACE_DATA_DIR or ./.carapace)')
  .action((options: { dataDir?: string }) => runCommand(() => scenariosCommand(options)));

const hall = program
  .command('hall')
  .description(
    'the demo data hall as Linux network namespaces with nftables (simulated, and labelled so, where unavailable)',
  );
// Every hall command names the hall the same way, so a later command finds what an earlier one built.
function hallCommand(name: string, description: string): Command {
  return hall
    .command(name)
    .description(description)
    .option('--prefix <prefix>', 'name prefix of the namespaces (default cphall)')
    .option(
      '--run-dir <dir>',
      'state directory (default $CARAPACE_HALL_DIR/<prefix> or /run/carapace-hall/<prefix>)',
    )
    .option('--simulated', 'use the in-process simulated hall even where namespaces are available');
}
hallCommand('up', 'build the hall and leave it running (reuses a healthy one)')
  .option('--subnet <cidr>', 'an IPv4 /24 for the hall (default 10.231.0.0/24)')
  .option('--interval-ms <ms>', 'canary probe interval (default 1000)')
  .action((options: HallCommandOptions) => runCommand(() => hallUpCommand(options)));
hallCommand('down', 'remove every namespace, link, process and file of the hall (idempotent)').action(
  (options: HallCommandOptions) => runCommand(() => hallDownCommand(options)),
);
hallCommand(
  'status',
  "the sites, their workloads, Carapace's nftables chains and what the canaries see",
).action((options: HallCommandOptions) => runCommand(() => hallStatusCommand(options)));
hallCommand('heal', "remove Carapace's nftables table from a site (default: every site)")
  .argument('[site]', 'sj-01, sj-02 or oak-01')
  .action((site: string | undefined, options: HallCommandOptions) =>
    runCommand(() => hallHealCommand(site, options)),
  );

await program.parseAsync(process.argv);
