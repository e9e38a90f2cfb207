// The gateway's JSON body parser: UTF-8 only (RFC 8259), as sent. A body declared in another charset is
// refused (415) and bytes that are not UTF-8 are refused (400) instead of being read with replacement
// characters; prototype keys are refused as Fastify's own parser refuses them.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from './gateway_error.js';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Replaces the app's application/json parser with one that takes UTF-8 only. */
export function parseJsonBodiesAsUtf8(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
      const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
        return done(
          new GatewayError(415, 'E_UNSUPPORTED_MEDIA_TYPE', 'unsupported charset', 'JSON bodies are UTF-8'),
        );
      let text: string;
      try {
        text = UTF8.decode(body);
      } catch {
        return done(
          new GatewayError(400, 'E_REQUEST_INVALID', 'the body is not UTF-8', 'JSON bodies are UTF-8'),
        );
      }
      parseJson(request, text, done);
    },
  );
}
