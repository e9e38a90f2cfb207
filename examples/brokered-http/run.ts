// The credential broker end to end, in one command: `npx tsx examples/brokered-http/run.ts`.
//  1. An operator seals a GitHub-style token in the vault with its use policy (the API's host and port,
//     GET and POST, injected as `Authorization: Bearer {secret}`); the token appears nowhere else.
//  2. The gateway starts with the broker on (http.request joins its catalog).
//  3. The SCRIPTED agent reads its profile (observe: R8 ALLOW) and files an issue an operator asked for
//     (reversible, trusted justification: R7 ALLOW) against a LOCAL HTTPS STAND-IN of a GitHub-style API.
//     The stand-in accepts only the real token, so both calls succeed only because the broker injected
//     it; the stand-in also echoes the header back, and the broker strips it before the agent sees it.
//  4. The agent asks to DELETE the repository: destructive, so it waits for a person (R6 HUMAN_REVIEW).
//  5. The signed output of the first call is verified; the audit log is verified.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findKeyFiles, readDataDirLog } from '../../src/audit/log_files.js';
import { verifyLog } from '../../src/audit/verify.js';
import { startGateway } from '../../src/gateway/serve.js';
import { GatewayAttestation } from '../../src/vault/attestation.js';
import { OutputSigner } from '../../src/vault/signed_output.js';
import { Vault } from '../../src/vault/vault.js';
import { verifySignedOutput } from '../../src/vault/verify_output.js';
import { type AgentStep, ScriptedGitHubAgent } from './agent.js';
import { startGitHubStandIn } from './github_stand_in.js';
import { makeLocalPki } from './local_pki.js';

export interface ExampleRun {
  steps: AgentStep[];
  /** Authorization headers the stand-in received (the broker sent the token). */
  sentByBroker: string[];
  issuesFiled: number;
  signedOutputVerified: boolean;
  auditVerified: boolean;
  dataDir: string;
}

export async function runExample(
  token: string,
  dataDir = join(mkdtempSync(join(tmpdir(), 'carapace-broker-example-')), 'data'),
  print: (line: string) => void = () => {},
): Promise<ExampleRun> {
  const pki = makeLocalPki(['localhost']);
  const standIn = await startGitHubStandIn(pki, token);
  const apiBase = `https://localhost:${standIn.port}`;
  print(
    `LOCAL HTTPS STAND-IN of a GitHub-style API on ${apiBase} (not GitHub; its CA is trusted by this broker only)`,
  );

  // 1. The operator seals the token (what `carapace secrets put github --policy FILE` does).
  const vault = new Vault(dataDir);
  const sealed = vault.put('github', Buffer.from(token), {
    hosts: [{ match: 'exact', value: 'localhost' }],
    ports: [standIn.port],
    methods: ['GET', 'POST', 'DELETE'],
    // The stand-in is on loopback; a policy for the real API would keep the default, public only.
    addresses: 'any',
    inject: { kind: 'header', name: 'Authorization', template: 'Bearer {secret}' },
    limits: { rpm: 30, timeout_ms: 5000 },
  });
  print(`sealed secret github v${sealed.version}, policy ${sealed.policy_hash}`);

  // 2. The gateway with the broker on.
  const signer = OutputSigner.fromVault(vault);
  const attestation = new GatewayAttestation(signer);
  attestation.attachStartupEvidence();
  const gateway = await startGateway({
    dataDir,
    port: 0,
    dev: true,
    logLevel: 'silent',
    broker: { vault, signer, attestation, http: { ca: [pki.ca] } },
  });
  const steps: AgentStep[] = [];
  let signedOutputVerified: boolean;
  try {
    print(
      `gateway ${gateway.url}: catalog ${gateway.ctx.engine.catalog.name}, tee: ${attestation.status.tee}`,
    );
    const admin = gateway.devAdminKey as string;
    const post = async (path: string, key: string, body: unknown) => {
      const r = await fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await r.json()) as Record<string, unknown>;
    };
    const agentKey = (
      await post('/v1/admin/principals', admin, {
        name: 'scripted-github-agent',
        role: 'agent',
        channel: 'operator-console',
      })
    ).api_key as string;
    // The operator's request arrives through the agent's trusted channel, into its session.
    const note = await post('/v1/ingest', agentKey, {
      content: 'operator: file an issue in acme/ops titled "Nightly backup failed" and check who we are',
      session: 'github-example',
    });
    const agent = new ScriptedGitHubAgent(gateway.url, agentKey, apiBase, 'github', 'github-example');
    const chunk = note.id as string;

    steps.push(await agent.request('read my profile', 'observe', 'GET', '/user', chunk));
    steps.push(
      await agent.request(
        'file the issue the operator asked for',
        'remediate_reversible',
        'POST',
        '/repos/acme/ops/issues',
        chunk,
        {
          title: 'Nightly backup failed',
          body: 'Filed by a scripted agent through Carapace.',
        },
      ),
    );
    steps.push(
      await agent.request(
        'delete the repository',
        'remediate_destructive',
        'DELETE',
        '/repos/acme/ops',
        chunk,
      ),
    );
    for (const s of steps)
      print(
        `agent: ${s.what}: ${s.decision} (${s.rule})${s.status !== undefined ? ` -> ${s.status} ${JSON.stringify(s.answer)}` : ''}`,
      );

    const verdict = await verifySignedOutput(steps[0]?.signedOutput, { allowNoTee: true });
    signedOutputVerified = verdict.passed;
    print(
      `signed output of the first call: ${verdict.passed ? `verified (${verdict.assurance}; tee: none on this machine)` : 'NOT verified'}`,
    );
  } finally {
    await gateway.close();
    await standIn.close();
  }
  const key = findKeyFiles(dataDir, 'carapace.local/audit');
  const audit = key ? verifyLog((await readDataDirLog(dataDir)).sources, { key: key.vkey }) : null;
  const auditVerified = audit?.ok === true;
  print(`audit log: ${auditVerified ? 'verified' : 'NOT verified'}`);
  return {
    steps,
    sentByBroker: standIn.authorizations,
    issuesFiled: standIn.issues.length,
    signedOutputVerified,
    auditVerified,
    dataDir,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // A made-up token for the stand-in; with a real API it would come from `carapace secrets put`.
  const run = await runExample(`ghp_example${Date.now().toString(36)}StandInToken`, process.argv[2], (line) =>
    console.log(line),
  );
  const leaked = run.steps.some((s) => s.received.includes('StandInToken'));
  console.log(leaked ? 'THE AGENT SAW THE TOKEN' : 'the agent never received the token');
  process.exitCode = leaked || !run.auditVerified ? 1 : 0;
}
