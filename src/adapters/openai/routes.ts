// The OpenAI-compatible proxy (issue 8 item 1, DESIGN.md §10): POST /v1/chat/completions, forwarded to
// the configured upstream with Carapace's upstream key, and GET /v1/models. The agent authenticates with
// its Carapace key. Every message it sends becomes a chunk of its session; every tool call in the
// answer, streamed or not, is proposed as an action, and only allowed calls reach the agent, each with
// its execution token in the answer's `_carapace` block. docs/openai-proxy.md has the design.

import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { admit, principalOf } from '../../gateway/auth.js';
import type { GatewayContext } from '../../gateway/context.js';
import { GatewayError } from '../../gateway/gateway_error.js';
import { parseChatRequest } from './chat_request.js';
import { chatSession, SESSION_HEADER } from './chat_session.js';
import { completionAsStream } from './completion_as_stream.js';
import { applyGatedCalls, completionCalls, completionChoices } from './completion_gate.js';
import {
  ownConversationLayer,
  type UpstreamConversationLayer,
  upstreamConversationLayer,
} from './conversation_layer.js';
import { MessageChunkRecorder } from './message_chunks.js';
import { type OpenAIProxyOptions, proxySettings } from './options.js';
import { prepareProxyChannels } from './proxy_channels.js';
import { type DecideStreamedCalls, relayChatStream } from './stream_relay.js';
import { gateToolCalls } from './tool_call_gate.js';
import { upstreamInvalid, UpstreamClient } from './upstream_client.js';
import type { SecretStripper } from '../../executors/http/secret_stripper.js';

export type { OpenAIProxyOptions } from './options.js';

const MODELS_BODY_BYTES = 1024 * 1024;

export function openaiProxyRoutes(
  app: FastifyInstance,
  ctx: GatewayContext,
  options: OpenAIProxyOptions,
): void {
  // A bad option stops the gateway from starting (the error surfaces from listen()).
  const settings = proxySettings(options);
  app.register(async (proxy) => {
    const channels = await prepareProxyChannels(ctx, settings);
    const recorder = new MessageChunkRecorder(ctx, channels);
    const client = new UpstreamClient(settings);
    proxy.addHook('onClose', async () => client.close());

    // The body is kept as the bytes the agent sent: they are what the upstream gets.
    proxy.removeContentTypeParser('application/json');
    proxy.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: settings.maxRequestBytes },
      (_request, body, done) => done(null, body),
    );
    proxy.setErrorHandler((error, _request, reply) => {
      if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        return reply.code(413).send({
          error: 'body too large',
          code: 'E_INPUT_TOO_LARGE',
          detail: `the limit is ${settings.maxRequestBytes} bytes`,
        });
      throw error; // the gateway's handler answers everything else
    });

    const agents = admit(ctx, ['agent']);

    proxy.post(
      '/v1/chat/completions',
      { onRequest: agents, bodyLimit: settings.maxRequestBytes },
      async (request, reply) => {
        const agent = principalOf(request);
        if (!Buffer.isBuffer(request.body))
          throw new GatewayError(
            415,
            'E_REQUEST_INVALID',
            'invalid request',
            'send the request as application/json',
          );
        const raw = request.body;
        const chat = parseChatRequest(raw, settings.maxMessages);
        const session = chatSession(request.headers[SESSION_HEADER], agent.id, chat.messages);
        const plan = recorder.plan(chat.messages);

        // The agent going away abandons the upstream request (and any calls not yet decided).
        let cancel: (() => void) | null = null;
        reply.raw.on('close', () => {
          if (!reply.raw.writableFinished) cancel?.();
        });
        const answering = client.open(
          'POST',
          'chat/completions',
          raw,
          chat.stream ? 'text/event-stream' : 'application/json',
          (c) => (cancel = c),
        );
        // Recorded while the upstream thinks, from the next turn of the event loop: the store writes
        // synchronously, and the request must be on its way first. A failure refuses every tool call.
        // The answer does not wait for the first-seen audit entries to be durable: a decision is
        // appended after them, so a durable decision proves them, and a text answer is no action.
        const recorded: Promise<string | null> = new Promise<void>((resolve) => setImmediate(resolve))
          .then(() => recorder.record(agent.id, session.id, plan))
          .then(
            ({ audited }) => {
              audited.catch((e: Error) =>
                request.log.error({ err: e }, 'openai proxy: an ingest entry is not durable'),
              );
              return null;
            },
            (e: Error) =>
              `the messages could not be recorded as chunks of the session: ${(e as { code?: string }).code ?? e.name}`,
          );

        let answer: Awaited<typeof answering>;
        try {
          answer = await answering;
        } catch (e) {
          await recorded;
          throw e;
        }
        reply.header(SESSION_HEADER, session.id);
        if (answer.status < 200 || answer.status > 299) {
          await recorded;
          throw await client.failure(answer);
        }

        const decide: DecideStreamedCalls = async (calls, upstream, texts) => {
          const unrecorded = await recorded;
          // The proxy's own conversation-layer block is made when there is something to decide and the
          // upstream sent none; it is then folded into each decision and added to the answer.
          const block =
            upstream === null && calls.length > 0 && settings.ownLobstertrap === 'fold'
              ? ownConversationLayer(chat.messages)
              : null;
          const gated = await gateToolCalls(
            ctx,
            {
              agent,
              session: session.id,
              cited: plan.ids,
              lobstertrap: upstream !== null ? upstream.block : (block ?? undefined),
              upstream,
              justification: (choice) => texts.get(choice) ?? null,
              unrecorded,
            },
            calls,
          );
          const trailer: Record<string, unknown> = {
            _carapace: {
              session: session.id,
              session_source: session.source,
              message_chunks: plan.byMessage,
              ...(upstream ? { upstream_lobstertrap: upstreamSummary(upstream) } : {}),
              ...(unrecorded ? { unrecorded } : {}),
              decisions: gated.map((g) => g.report),
            },
          };
          if (block) trailer._lobstertrap = block;
          return { gated, trailer };
        };

        if (chat.stream && answer.mediaType === 'text/event-stream') {
          const out = new PassThrough();
          void relayChatStream(answer, out, decide, {
            maxResponseBytes: settings.maxResponseBytes,
            stripper: answer.stripper,
          });
          return reply
            .header('content-type', 'text/event-stream; charset=utf-8')
            .header('cache-control', 'no-cache')
            .header('x-accel-buffering', 'no')
            .send(out);
        }
        if (answer.mediaType !== 'application/json') {
          answer.body.destroy();
          await recorded;
          throw upstreamInvalid(
            `content-type ${answer.mediaType || '(none)'} where a chat completion was expected`,
          );
        }
        // Every form of Carapace's upstream key is stripped before the body is read as JSON.
        const text = stripAnswer(await client.readAll(answer.body), answer.stripper);
        let completion: unknown;
        try {
          completion = JSON.parse(text.toString('utf8'));
        } catch {
          await recorded;
          throw upstreamInvalid('the body is not JSON');
        }
        let choices: ReturnType<typeof completionChoices>;
        try {
          choices = completionChoices(completion);
        } catch (e) {
          await recorded;
          throw e;
        }
        const whole = completion as Record<string, unknown>;
        const { calls, texts } = completionCalls(choices);
        const { gated, trailer } = await decide(calls, upstreamConversationLayer(whole), texts);
        applyGatedCalls(choices, gated);
        if (chat.stream)
          return reply
            .header('content-type', 'text/event-stream; charset=utf-8')
            .header('cache-control', 'no-cache')
            .send(completionAsStream(whole, choices, trailer));
        return reply.type('application/json; charset=utf-8').send(JSON.stringify({ ...whole, ...trailer }));
      },
    );

    proxy.get('/v1/models', { onRequest: agents }, async (_request, reply) => {
      let cancel: (() => void) | null = null;
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) cancel?.();
      });
      const answer = await client.open('GET', 'models', null, 'application/json', (c) => (cancel = c));
      if (answer.status < 200 || answer.status > 299) throw await client.failure(answer);
      const body = stripAnswer(await client.readAll(answer.body, MODELS_BODY_BYTES), answer.stripper);
      try {
        JSON.parse(body.toString('utf8'));
      } catch {
        throw upstreamInvalid('the model list is not JSON');
      }
      return reply.type('application/json; charset=utf-8').send(body);
    });
  });
}

/** The answer's bytes without any form of the upstream key (each replaced by the vault marker). */
function stripAnswer(body: Buffer, stripper: SecretStripper | null): Buffer {
  return stripper ? stripper.stripBytes(body).bytes : body;
}

function upstreamSummary(upstream: UpstreamConversationLayer): Record<string, unknown> {
  return {
    verdict: upstream.signal.verdict,
    blocked: upstream.blocked,
    risk_score: upstream.signal.risk_score,
    detections: upstream.signal.detections,
    ...(upstream.signal.malformed ? { malformed: upstream.signal.malformed } : {}),
  };
}
