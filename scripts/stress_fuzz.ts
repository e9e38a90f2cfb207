// `npm run stress -- fuzz [--runs N] [--seed S] [--route SUBSTRING]`: the fuzz suite of
// test/reliability/fuzz.test.ts at full size: N generated inputs (default 100,000) on every route of the
// gateway, on /mcp and /v1/attestation (each on a gateway of its own, fuzz_mcp.ts) and on every CLI
// JSON input. Prints a line per route and every violation found; exit 1 if any.

import { CLI_TARGETS, fuzzCli } from '../test/reliability/fuzz_cli.js';
import {
  fuzzRoute,
  openFuzzTarget,
  pollution,
  stillHealthy,
  type Violation,
} from '../test/reliability/fuzz_gateway.js';
import {
  answersHealth,
  fuzzAttestation,
  fuzzMcp,
  openAttestationFuzzTarget,
  openMcpFuzzTarget,
} from '../test/reliability/fuzz_mcp.js';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function stressFuzz(args: string[]): Promise<number> {
  const runs = Number(flag(args, '--runs') ?? 100_000);
  const seed = Number(flag(args, '--seed') ?? Date.now() % 1_000_000_000);
  const only = flag(args, '--route');
  const crashes: unknown[] = [];
  process.on('uncaughtException', (e) => crashes.push(e));
  process.on('unhandledRejection', (e) => crashes.push(e));
  const started = Date.now();
  const violations: Violation[] = [];
  let sent = 0;
  const target = await openFuzzTarget();
  try {
    for (const [i, route] of target.routes.entries()) {
      const name = `${route.method} ${route.path}`;
      if (only !== undefined && !name.includes(only)) continue;
      const t = Date.now();
      const result = await fuzzRoute(target, route, runs, {
        seed: seed + i * 1_000_003,
        concurrency: 8,
        maxViolations: 50,
      });
      sent += result.sent;
      violations.push(...result.violations);
      const statuses = [...result.statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}:${n}`)
        .join(' ');
      console.log(
        `${name}: ${result.sent} requests in ${((Date.now() - t) / 1000).toFixed(1)} s, ${result.violations.length} violations [${statuses}]`,
      );
    }
    // The routes mounted only with MCP options or the broker, each on a gateway of its own.
    const extra = [
      {
        name: 'POST /mcp',
        open: openMcpFuzzTarget,
        fuzz: (t: Awaited<ReturnType<typeof openMcpFuzzTarget>>) =>
          fuzzMcp(t, runs, { seed: seed + 77, maxViolations: 50 }),
      },
      {
        name: 'GET /v1/attestation',
        open: openAttestationFuzzTarget,
        fuzz: (t: Awaited<ReturnType<typeof openAttestationFuzzTarget>>) =>
          fuzzAttestation(t, runs, { seed: seed + 78, concurrency: 8, maxViolations: 50 }),
      },
    ] as const;
    for (const route of extra) {
      if (only !== undefined && !route.name.includes(only)) continue;
      const t = Date.now();
      const opened = await route.open();
      try {
        const result = await (route.fuzz as (o: typeof opened) => ReturnType<typeof fuzzMcp>)(opened);
        sent += result.sent;
        violations.push(...result.violations);
        const healthy = await answersHealth(opened.gateway.url);
        if (!healthy)
          violations.push({
            route: route.name,
            request: 'GET /healthz',
            problem: '/healthz does not answer',
          });
        const statuses = [...result.statuses]
          .sort(([a], [b]) => a - b)
          .map(([s, n]) => `${s}:${n}`)
          .join(' ');
        console.log(
          `${route.name}: ${result.sent} requests in ${((Date.now() - t) / 1000).toFixed(1)} s, ${result.violations.length} violations, /healthz ${healthy ? 'answers' : 'DOES NOT ANSWER'} [${statuses}]`,
        );
      } finally {
        await opened.close();
      }
    }
    for (const [i, cli] of CLI_TARGETS.entries()) {
      if (only !== undefined && !`cli ${cli.name}`.includes(only)) continue;
      const t = Date.now();
      const result = await fuzzCli(cli, runs, { seed: seed + i, maxViolations: 50 });
      violations.push(...result.violations);
      console.log(
        `cli ${cli.name}: ${result.ran} inputs (${result.refused} refused) in ${((Date.now() - t) / 1000).toFixed(1)} s, ${result.violations.length} violations`,
      );
    }
    const healthy = await stillHealthy(target);
    const polluted = pollution();
    for (const v of violations) console.log(`VIOLATION ${v.route}: ${v.request}\n  => ${v.problem}`);
    for (const e of crashes) console.log(`CRASH ${String((e as Error)?.stack ?? e)}`);
    console.log(
      `fuzz (seed ${seed}): ${sent} HTTP requests, ${runs} inputs per CLI target, in ${((Date.now() - started) / 1000).toFixed(0)} s: ${violations.length} violations, ${crashes.length} crashes, prototypes ${polluted ?? 'clean'}, /healthz ${healthy ? 'answers' : 'DOES NOT ANSWER'}`,
    );
    return violations.length === 0 && crashes.length === 0 && polluted === null && healthy ? 0 : 1;
  } finally {
    await target.close();
  }
}
