// Ingestion: content enters through a channel bound to the calling principal, is stored as a
// content-addressed chunk with the channel's trust (the caller can never set it), is scanned for
// injection, and joins the session of the agent it was shown to. An image is read with OCR, its
// text scanned, and its chunk is untrusted whatever the channel; an image OCR cannot read is suspect.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { IMAGE_TYPES, matchesMediaType, recogniseText } from '../inspect/ocr.js';
import { admit, principalOf } from './auth.js';
import { boundedString, oneOf, strictBody } from './body.js';
import type { GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { ingestContent, type IngestTarget } from './ingest.js';
import { CHUNK_SIGNATURE_HEADER, type SignatureVerdict } from './channel_signing.js';
import type { Chunk } from '../store/store.js';
import {
  IMAGE_BODY_LIMIT_BYTES,
  ingestImageSchema,
  ingestSchema,
  MAX_AGENT_ID_CHARS,
  MAX_CONTENT_CHARS,
  MAX_IMAGE_BYTES,
  SESSION,
} from './schemas.js';

export function ingestRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const ingesters = admit(ctx, ['agent', 'service']);

  app.post('/v1/ingest', { schema: ingestSchema, onRequest: ingesters }, async (request, reply) => {
    const body = strictBody(request.body, ['content'], ['session', 'agent']);
    const content = boundedString(body.content, 'content', MAX_CONTENT_CHARS);
    const target = await ingestTarget(ctx, request, body);
    const { chunk, inserted, matched, signature } = await ingestContent(ctx, target, content, {
      ...signatureOf(request),
    });
    return reply.code(inserted ? 201 : 200).send({
      ...chunk,
      matched,
      ...(signature.required ? { signature: signatureReport(signature, chunk) } : {}),
    });
  });

  app.post(
    '/v1/ingest/image',
    { schema: ingestImageSchema, onRequest: ingesters, bodyLimit: IMAGE_BODY_LIMIT_BYTES },
    async (request, reply) => {
      const body = strictBody(request.body, ['image_base64', 'media_type'], ['session', 'agent']);
      const mediaType = oneOf(body.media_type, 'media_type', Object.keys(IMAGE_TYPES));
      const encoded = boundedString(body.image_base64, 'image_base64', Math.ceil(MAX_IMAGE_BYTES / 3) * 4);
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0)
        throw new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', 'image_base64: not base64');
      const bytes = Buffer.from(encoded, 'base64');
      if (!matchesMediaType(mediaType, bytes))
        throw new GatewayError(
          415,
          'E_MEDIA_TYPE',
          'the image is not what its media type says',
          `the data does not start like ${mediaType}`,
        );
      const target = await ingestTarget(ctx, request, body);
      const ocr = await recogniseText(bytes, {
        maxChars: MAX_CONTENT_CHARS,
        ...(ctx.ocrCommand !== undefined ? { command: ctx.ocrCommand } : {}),
      });
      const text = ocr.available ? ocr.text : null;
      const ocrReport = ocr.available
        ? { available: true, engine: ocr.engine, text_chars: ocr.text.length, truncated: ocr.truncated }
        : { available: false, reason: ocr.reason };
      const { chunk, inserted, matched, signature } = await ingestContent(ctx, target, text ?? '', {
        image: { bytes, text },
        recorded: { media_type: mediaType, ocr: ocrReport },
        ...signatureOf(request),
      });
      return reply.code(inserted ? 201 : 200).send({
        ...chunk,
        matched,
        media_type: mediaType,
        ocr: ocrReport,
        ...(signature.required ? { signature: signatureReport(signature, chunk) } : {}),
      });
    },
  );
}

/** The chunk signature header, when the caller sent one (once). */
function signatureOf(request: FastifyRequest): { signature?: string } {
  const value = request.headers[CHUNK_SIGNATURE_HEADER];
  if (value === undefined) return {};
  return { signature: Array.isArray(value) ? '' : value };
}

/**
 * What the ingest answer says about a signed channel's signature, and why the chunk is untrusted when it
 * is. A stored chunk is the first one written under its id: content already stored keeps its trust.
 */
function signatureReport(signature: SignatureVerdict, chunk: Chunk): Record<string, unknown> {
  if (!signature.required) return {};
  return {
    required: true,
    alg: signature.alg,
    verified: signature.verified,
    reason: signature.reason,
    ...(signature.verified
      ? {}
      : {
          effect:
            'stored as untrusted and injection-suspected: the channel is signed and this chunk is not signed validly',
        }),
    stored_trust: chunk.trust,
  };
}

/** The caller's channel, and the agent and session the content joins. */
async function ingestTarget(
  ctx: GatewayContext,
  request: FastifyRequest,
  body: Record<string, unknown>,
): Promise<IngestTarget> {
  const principal = principalOf(request);
  if (!principal.channel)
    throw new GatewayError(
      403,
      'E_NO_CHANNEL',
      'no ingestion channel',
      `${principal.id} is bound to no channel; an admin binds principals to channels`,
    );
  const session = body.session === undefined ? null : boundedString(body.session, 'session', 128, SESSION);
  // An agent's content joins its own session; a service names the agent it showed the content to.
  let agentId: string | null = principal.role === 'agent' ? principal.id : null;
  if (body.agent !== undefined) {
    if (principal.role !== 'service')
      throw new GatewayError(
        403,
        'E_FORBIDDEN',
        'not allowed for this role',
        'only a service names the agent a chunk was shown to',
      );
    agentId = boundedString(body.agent, 'agent', MAX_AGENT_ID_CHARS);
  }
  if (session && !agentId)
    throw new GatewayError(
      400,
      'E_REQUEST_INVALID',
      'invalid request',
      'session: needs the agent it belongs to',
    );
  const channel = await ctx.store.getChannel(principal.channel);
  if (!channel)
    throw new GatewayError(
      403,
      'E_NO_CHANNEL',
      'no ingestion channel',
      `channel ${principal.channel} does not exist`,
    );
  return { by: principal.id, channel, session, agentId };
}
