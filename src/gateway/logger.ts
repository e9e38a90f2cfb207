// The gateway's structured log: pino JSON lines. Secrets never reach it: request bodies and headers
// are not serialized at all, and the paths where a key or token could appear are redacted besides.

import { type DestinationStream, type Logger, pino } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body',
  'res.body',
  'body',
  'api_key',
  '*.api_key',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
];

export function createGatewayLogger(options: { level?: string; stream?: DestinationStream } = {}): Logger {
  const level = options.level ?? process.env.CARAPACE_LOG_LEVEL ?? 'info';
  const config = {
    level,
    base: { service: 'carapace' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // Method, path and peer only: no headers, no body, no query string (it could carry anything).
      req: (req: { method?: string; url?: string; ip?: string }) => ({
        method: req.method,
        path: (req.url ?? '').split('?')[0],
        remoteAddress: req.ip,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
  return options.stream ? pino(config, options.stream) : pino(config);
}
