// The sealed process (after the confidential agent, origins.md §4): it alone holds the vault and the
// output-signing key, and answers over the length-prefixed JSON transport on a local TCP port. `ping`
// answers with its public key, its attestation (or `tee: none`) and its secrets by id (never a value); `attest` with a report for the
// caller's nonce; `action` runs a brokered HTTP request, but only with an execution token minted by the
// gateway's key, redeemed once more here, and answers with the outcome and its signed output. An
// oversized or malformed frame gets an error frame and the connection is closed.

import { createServer, type Server, type Socket } from 'node:net';
import type { KeyObject } from 'node:crypto';
import type { ActionCall, TokenGate } from '../../executor.js';
import { redeemExecutionToken } from '../../../tokens/index.js';
import { type GatewayAttestation, TsmReportError } from '../../../vault/attestation.js';
import type { OutputSigner } from '../../../vault/signed_output.js';
import type { Vault } from '../../../vault/vault.js';
import { BrokeredHttpExecutor, type BrokeredHttpExecutorOptions } from '../executor.js';
import { encodeFrame, FrameError, FrameReader } from './frame.js';
import { MemoryRedemptionLedger } from './memory_ledger.js';

export interface SealedServerOptions {
  vault: Vault;
  signer: OutputSigner;
  attestation: GatewayAttestation;
  /** The gateway's execution-token key (public half) and its name (the tokens' issuer). */
  tokenKey: { publicKey: KeyObject; name: string };
  host?: string;
  /** 0: any free port. */
  port?: number;
  now?: () => number;
  /** Passed to the HTTP executor (a resolver or CA for tests, a private PKI). */
  broker?: Pick<BrokeredHttpExecutorOptions, 'resolve' | 'ca'>;
}

export interface SealedServer {
  port: number;
  close(): Promise<void>;
}

/** Redeems tokens the gateway minted, once per sealed process. */
export function sealedTokenGate(tokenKey: SealedServerOptions['tokenKey'], now: () => number): TokenGate {
  const ledger = new MemoryRedemptionLedger();
  return (token, call) =>
    redeemExecutionToken(token, {
      publicKey: tokenKey.publicKey,
      issuer: tokenKey.name,
      now: now(),
      ledger,
      expect: {
        agentId: call.agentId,
        tool: call.tool,
        args: call.args,
        ...(call.jkt ? { jkt: call.jkt } : {}),
      },
    });
}

export async function startSealedServer(options: SealedServerOptions): Promise<SealedServer> {
  const now = options.now ?? Date.now;
  const executor = new BrokeredHttpExecutor({
    vault: options.vault,
    gate: sealedTokenGate(options.tokenKey, now),
    now,
    sign: (request, result) => options.signer.sign(request, result, now()),
    ...options.broker,
  });
  const startup = options.attestation.attachStartupEvidence();
  // A report that does not bind the key asked for is not this process's: it does not start on it.
  if (startup.appraisal?.binding === 'not_bound') throw new TsmReportError(startup.appraisal.reason);

  const answer = async (message: Record<string, unknown>): Promise<Record<string, unknown>> => {
    switch (message.type) {
      case 'ping':
        return {
          type: 'pong',
          status: 'ok',
          tee: startup.tee,
          public_key_pem: options.signer.publicKeyPem,
          evidence: startup.evidence,
          measurement: options.signer.measurement,
          tee_appraisal: options.attestation.selfAppraisal,
          // What the gateway records in broker.opened: ids, versions, policy hashes, never a value.
          secrets: options.vault.list().map((s) => ({
            id: s.id,
            version: s.version ?? null,
            policy_hash: s.policy_hash ?? null,
            sealed: s.sealed,
          })),
        };
      case 'attest': {
        if (typeof message.nonce !== 'string' || !/^[0-9a-f]{64}$/.test(message.nonce))
          return errorFrame('E_FRAME_INVALID', 'attest takes {nonce: 64 hex digits}');
        return {
          type: 'attestation',
          status: 'ok',
          ...options.attestation.attest(Buffer.from(message.nonce, 'hex')),
        };
      }
      case 'action': {
        const call = actionCall(message.call);
        if (typeof message.token !== 'string' || call === null)
          return errorFrame('E_FRAME_INVALID', 'action takes {token, call: {agentId, tool, args}}');
        try {
          const outcome = await executor.execute(message.token, call);
          return { type: 'response', status: 'ok', outcome };
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          return errorFrame(typeof code === 'string' ? code : 'E_EXECUTOR', (e as Error).message);
        }
      }
      default:
        return errorFrame('E_FRAME_UNKNOWN_TYPE', 'type must be ping, attest or action');
    }
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const reader = new FrameReader();
    // One request at a time per connection, answered in order.
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      for (const item of reader.push(chunk)) {
        if (item instanceof FrameError) {
          queue = queue.then(() => {
            socket.end(encodeFrame(errorFrame(item.code, item.message)));
          });
          return;
        }
        queue = queue.then(async () => {
          const reply = await answer(item).catch((e: unknown) =>
            errorFrame('E_SEALED_INTERNAL', (e as Error).message),
          );
          if (!socket.destroyed) socket.write(encodeFrame(reply));
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function errorFrame(code: string, message: string): Record<string, unknown> {
  return { type: 'error', status: 'error', code, message };
}

function actionCall(value: unknown): ActionCall | null {
  if (typeof value !== 'object' || value === null) return null;
  const c = value as Record<string, unknown>;
  if (typeof c.agentId !== 'string' || typeof c.tool !== 'string') return null;
  if (typeof c.args !== 'object' || c.args === null || Array.isArray(c.args)) return null;
  return {
    agentId: c.agentId,
    tool: c.tool,
    args: c.args as Record<string, unknown>,
    ...(typeof c.jkt === 'string' ? { jkt: c.jkt } : {}),
  };
}
