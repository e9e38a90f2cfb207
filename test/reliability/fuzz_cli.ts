// Fuzzes the CLI's JSON inputs in process, through the same functions the commands run: `decide`
// (a decision request), `inspect --json-input`, `redact --json-input`, `replay` (one recorded line),
// `audit verify-receipt` (a receipt) and `verify-output` (a signed output). What must hold: input it
// cannot take is a CliFailure ({error, code, detail}, exit 2), never another exception; nothing
// malformed is decided or verified; no prototype is polluted.

import fc from 'fast-check';
import { verifyReceipt } from '../../src/audit/receipt.js';
import { decideRequestText } from '../../src/cli/decide_command.js';
import { inspectInput, redactInput } from '../../src/cli/inspect_command.js';
import { CliFailure, parseJson } from '../../src/cli/io.js';
import { generateSigningKey, verifierKeyOf } from '../../src/crypto/ed25519_key.js';
import { DEFAULT_ENGINE, replayRecord } from '../../src/engine/index.js';
import { verifySignedOutput } from '../../src/vault/verify_output.js';
import type { Violation } from './fuzz_gateway.js';
import { pollution } from './fuzz_gateway.js';
import { type Payload, payloadFor } from './fuzz_inputs.js';

/** What the CLI reads at most (src/cli/io.ts MAX_INPUT_BYTES); the parsers below see no more. */
const CLI_INPUT_BYTES = 1024 * 1024;

interface CliTarget {
  name: string;
  template: Record<string, unknown>;
  /** Runs the input; returns a problem, or null when what came out is acceptable. */
  run(text: string, malformed: boolean): Promise<string | null>;
}

const receiptKey = verifierKeyOf(generateSigningKey('fuzz.local/log'));

export const CLI_TARGETS: CliTarget[] = [
  {
    name: 'decide',
    template: {
      envelope: { intent: 'observe', tool: 'get_telemetry', args: { target: 'vm-03' }, session: 'fuzz' },
    },
    async run(text, malformed) {
      const record = decideRequestText(text);
      return malformed ? `malformed request decided ${record.decision}` : null;
    },
  },
  {
    name: 'inspect --json-input',
    template: { content: 'node-sj-01-02 cpu 97%', from: 'ops@example.com' },
    async run(text) {
      inspectInput(text, { jsonInput: true });
      return null;
    },
  },
  {
    name: 'redact --json-input',
    template: { content: 'mail ops@example.com', token: 'ghp_0000000000000000000000000000000000aa' },
    async run(text) {
      redactInput(text, true, { strategy: 'placeholder' });
      return null;
    },
  },
  {
    name: 'replay',
    template: { record: 'carapace.decision/v1', decision: 'ALLOW' },
    async run(text, malformed) {
      const outcome = replayRecord(parseJson(text, 'record'), DEFAULT_ENGINE);
      return malformed && outcome.identical ? 'a malformed record replays as identical' : null;
    },
  },
  {
    name: 'audit verify-receipt',
    template: { format: 'carapace.receipt/v1', seq: 0 },
    async run(text) {
      const check = verifyReceipt(parseJson(text, 'receipt'), receiptKey);
      return check.ok ? 'a generated receipt verified' : null;
    },
  },
  {
    name: 'verify-output',
    template: { format: 'carapace.signed-output/v1', request: {}, result: {} },
    async run(text) {
      const verdict = await verifySignedOutput(parseJson(text, 'signed output'), {
        appraiser: null,
        allowNoTee: true,
      });
      return verdict.passed ? 'a generated signed output passed' : null;
    },
  },
];

function textOf(payload: Payload): string {
  return typeof payload.body === 'string' ? payload.body : payload.body.toString('utf8');
}

/** Runs `runs` generated inputs through one CLI target and returns what went wrong. */
export async function fuzzCli(
  target: CliTarget,
  runs: number,
  options: { seed?: number; maxViolations?: number } = {},
): Promise<{ ran: number; refused: number; violations: Violation[] }> {
  const violations: Violation[] = [];
  const arbitrary = payloadFor(target.template, CLI_INPUT_BYTES).filter(
    (p) => p.body.length <= CLI_INPUT_BYTES,
  );
  const batch = 500;
  let ran = 0;
  let refused = 0;
  for (let done = 0; done < runs && violations.length < (options.maxViolations ?? 20); done += batch) {
    const inputs = fc.sample(arbitrary, {
      numRuns: Math.min(batch, runs - done),
      ...(options.seed !== undefined ? { seed: options.seed + done } : {}),
    });
    for (const payload of inputs) {
      ran++;
      const report = (problem: string) =>
        violations.push({ route: target.name, request: payload.label.slice(0, 120), problem });
      try {
        const problem = await target.run(textOf(payload), payload.malformed);
        if (problem) report(problem);
      } catch (e) {
        if (e instanceof CliFailure) refused++;
        else
          report(
            `${(e as Error).name}: ${(e as Error).message.slice(0, 200)} (not a CliFailure: exit 2 with E_INTERNAL)`,
          );
      }
      const polluted = pollution();
      if (polluted) report(`prototype polluted: ${polluted}`);
    }
  }
  return { ran, refused, violations };
}
