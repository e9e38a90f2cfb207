// Before/After routes: what hall the gateway runs with (none, real or SIMULATED) and the scenario's run;
// an admin starts a run (one at a time: a second start is a 409); watchers stream the steps and the
// canary grid. A watcher that falls behind is cut and, on reconnecting, gets the whole state again.

import type { FastifyInstance } from 'fastify';
import type { ScenarioGate } from '../demo/scenario_0314.js';
import { admit, principalOf } from './auth.js';
import type { ConsoleContext } from './console_context.js';
import type { GatewayContext } from './context.js';
import type { DemoRunner } from './demo_runner.js';
import { GatewayError } from './gateway_error.js';
import { demoGetSchema, demoRunSchema, demoStreamSchema } from './schemas.js';

export function demoRoutes(
  app: FastifyInstance,
  ctx: GatewayContext,
  console: ConsoleContext,
  runner: DemoRunner | null,
): void {
  const watchers = admit(ctx, ['admin', 'auditor', 'approver']);

  const state = async () => {
    if (!runner) return { hall: null, run: null };
    const status = await runner.hall.status();
    return {
      hall: {
        kind: status.kind,
        simulated: status.simulated,
        label: status.label,
        up: status.up,
        probe_interval_ms: status.probe_interval_ms,
        sites: runner.hall.topology.sites.map((s) => s.id),
      },
      run: runner.current,
    };
  };

  app.get('/v1/demo', { schema: demoGetSchema, onRequest: watchers }, state);

  app.post(
    '/v1/demo/runs',
    { schema: demoRunSchema, onRequest: admit(ctx, ['admin']) },
    async (request, reply) => {
      if (!runner)
        throw new GatewayError(
          409,
          'E_NO_HALL',
          'this gateway runs without a data hall',
          'start it with carapace serve --dev (or --hall auto|netns|simulated) to run the scenario',
        );
      const gate = (request.body as { gate: ScenarioGate }).gate;
      // The run creates its principals with the key of the admin who started it, through the admin API.
      const key = /^Bearer\s+(\S+)$/.exec(request.headers.authorization ?? '')?.[1] as string;
      const run = await runner.start(gate, key, principalOf(request).id);
      return reply.code(202).send(run);
    },
  );

  app.get('/v1/demo/stream', { schema: demoStreamSchema, onRequest: watchers }, async (request, reply) => {
    const initial = await state();
    const grid = runner ? await runner.grid() : null;
    const stream = console.streams.start(request, reply);
    stream.send('state', initial);
    if (grid) stream.send('canary', grid);
    if (runner) {
      const unsubscribe = runner.subscribe((message) => {
        if (!stream.send(message.event, message.data)) stream.end();
      });
      stream.onClose(unsubscribe);
    }
    return reply;
  });
}
