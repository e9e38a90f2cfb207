// `npm run bench -- inspect`: how fast the content inspectors scan realistic text (e-mails, tables,
// code and tool data from the evaluation datasets, sentences with PII, ops logs), in MB/s on one core,
// with the `redact-pii` package on the same input as the comparison; and the worst time any of them
// takes on adversarial 1 MB inputs (the ReDoS bound). Goals (issue 6): ≥ 20 MB/s per scanner,
// no 1 MB input over 50 ms.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { detectInjection } from '../src/inspect/injection/index.js';
import { detectPii } from '../src/inspect/pii/index.js';
import { detectSecrets } from '../src/inspect/secrets/index.js';

const DATASETS = fileURLToPath(new URL('../../shared/datasets/', import.meta.url));
const CHUNK_CHARS = 4096;
const CORPUS_CHARS = 4 * 1024 * 1024;

const OPS_LINES = [
  '[edge-node-sj-01-02] INFO: fan speed 4200 rpm, inlet 22C',
  'kernel: [81234.5567] eth0: link up, 25000 Mbps, full duplex, flow control rx/tx',
  '10.231.0.20 - - [22/Nov/2026:03:14:07 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.30"',
  'Warning  BackOff  pod/billing-api-7d9f  Back-off restarting failed container billing-api in pod',
  'CHG-2211 approved by j.doe: firmware window for spine-switch-oak-01, 02:00-03:00 UTC',
];

/** Text an inspector meets in practice, from the evaluation datasets (the bench needs ../shared). */
function corpus(): string {
  const parts: string[] = [...OPS_LINES];
  for (const file of ['bipia/email/test.jsonl', 'bipia/table/test.jsonl', 'bipia/code/test.jsonl'])
    for (const line of readFileSync(`${DATASETS}${file}`, 'utf8').split('\n'))
      if (line.trim()) parts.push((JSON.parse(line) as { context: string }).context);
  for (const suite of ['banking', 'slack', 'travel', 'workspace'])
    parts.push(readFileSync(`${DATASETS}agentdojo/${suite}/environment.yaml`, 'utf8'));
  const presidio = JSON.parse(readFileSync(`${DATASETS}presidio/synth_dataset_v2.json`, 'utf8')) as {
    full_text: string;
  }[];
  for (const s of presidio) parts.push(s.full_text);
  const one = parts.join('\n');
  return one.repeat(Math.ceil(CORPUS_CHARS / one.length)).slice(0, CORPUS_CHARS);
}

/** Best of three passes over `chunks`, in MB/s of UTF-8 input. */
function throughput(chunks: string[], scan: (text: string) => unknown): number {
  const bytes = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint();
    for (const chunk of chunks) scan(chunk);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e9);
  }
  return bytes / 1e6 / best;
}

/** Strings built to make a backtracking matcher work hard: long runs of what the patterns look for. */
function adversarial(): [string, string][] {
  const mb = 1024 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(mb / unit.length)).slice(0, mb);
  return [
    ['one repeated letter', fill('a')],
    ['spaced-out letters', fill('i ')],
    ['digits and separators', fill('4-1 ')],
    ['almost an e-mail', fill('a.a@')],
    ['base64 alphabet', fill('QUJD')],
    ['almost a URL', fill('http://a.')],
    ['markdown image openers', fill('![](')],
    ['hashes and system markers', fill('###SYSTEM ')],
    ['zero-width and bidi', fill('\u200b\u202e')],
    ['unclosed quotes and braces', fill('{"a":"')],
    ['credential assignments', fill('Bearer password=')],
  ];
}

export async function runInspectBench(): Promise<void> {
  if (!existsSync(DATASETS)) {
    console.log(`inspect bench: the evaluation datasets are not at ${DATASETS}; nothing measured`);
    process.exitCode = 1;
    return;
  }
  const text = corpus();
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += CHUNK_CHARS) chunks.push(text.slice(i, i + CHUNK_CHARS));
  const { SyncRedactor } = createRequire(import.meta.url)('redact-pii') as {
    SyncRedactor: new () => { redact(text: string): string };
  };
  const redactor = new SyncRedactor();
  console.log(
    `inspect bench: ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB of realistic text (BIPIA e-mails, tables and code; AgentDojo tool data; presidio sentences; ops logs) in ${chunks.length} chunks of ${CHUNK_CHARS} characters; best of 3 passes, one core`,
  );
  const scanners: [string, (t: string) => unknown][] = [
    ['injection', (t) => detectInjection(t)],
    ['PII', (t) => detectPii(t)],
    ['secrets', (t) => detectSecrets(t)],
  ];
  const baseline = throughput(chunks, (t) => redactor.redact(t));
  for (const [name, scan] of scanners) {
    const rate = throughput(chunks, scan);
    console.log(
      `${name.padEnd(9)} ${rate.toFixed(1).padStart(7)} MB/s — goal >= 20 MB/s: ${rate >= 20 ? 'met' : 'MISSED'}; ${(rate / baseline).toFixed(1)}x redact-pii`,
    );
  }
  console.log(`redact-pii ${baseline.toFixed(1).padStart(6)} MB/s (SyncRedactor.redact, the comparison)`);

  for (const [name, scan] of scanners) {
    let worst = { ms: 0, what: '' };
    for (const [label, input] of adversarial()) {
      const started = process.hrtime.bigint();
      scan(input);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (ms > worst.ms) worst = { ms, what: label };
    }
    console.log(
      `ReDoS bound, ${name}: the slowest 1 MB adversarial input took ${worst.ms.toFixed(1)} ms (${worst.what}) — goal <= 50 ms: ${worst.ms <= 50 ? 'met' : 'MISSED'}`,
    );
  }
}
