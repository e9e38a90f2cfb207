// The witness's HTTP face: POST /add-checkpoint (c2sp.org/tlog-witness) answering with cosignature lines,
// and GET /healthz. Errors are JSON `{error, code, detail}`; a conflict also carries the size the witness
// has (`size`, and the x-tlog-size header), where the spec's text/x.tlog.size body would say it.

import Fastify, { type FastifyInstance } from 'fastify';
import { formatCosignerKey } from './cosignature.js';
import { parseAddCheckpoint, WITNESS_ERROR_STATUS, WitnessError, type Witness } from './witness.js';

export function buildWitnessServer(witness: Witness, publicKeyRaw: Buffer): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  const vkey = formatCosignerKey({ name: witness.name, publicKeyRaw });

  app.get('/healthz', async () => ({ status: 'ok', name: witness.name, key: vkey }));
  app.post('/add-checkpoint', async (request, reply) => {
    try {
      if (typeof request.body !== 'string')
        throw new WitnessError('E_WITNESS_MALFORMED', 'the body must be the add-checkpoint text');
      const lines = await witness.addCheckpoint(parseAddCheckpoint(request.body));
      return reply.type('text/plain; charset=utf-8').send(lines);
    } catch (e) {
      const error =
        e instanceof WitnessError
          ? e
          : new WitnessError('E_WITNESS_STATE', 'the witness failed to process the request');
      if (error.size !== undefined) reply.header('x-tlog-size', String(error.size));
      return reply.code(WITNESS_ERROR_STATUS[error.code]).send({
        error: error.code === 'E_WITNESS_CONFLICT' ? 'conflict' : 'refused',
        code: error.code,
        detail: error.message,
        ...(error.size !== undefined ? { size: error.size } : {}),
      });
    }
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: 'not_found', code: 'E_NOT_FOUND', detail: 'no such route' }),
  );
  app.setErrorHandler((error: { statusCode?: number; message?: string }, _request, reply) =>
    reply
      .code(error.statusCode && error.statusCode < 500 ? error.statusCode : 400)
      .send({ error: 'bad_request', code: 'E_WITNESS_MALFORMED', detail: error.message ?? 'bad request' }),
  );
  return app;
}
