// What the HTTP server answers when a request cannot even be parsed (headers too large, a malformed
// request line, a timeout): the gateway's error shape, written on the socket before it is closed.

import type { Socket } from 'node:net';

const ANSWERS: Record<string, [status: number, reason: string, code: string, error: string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'E_INPUT_TOO_LARGE', 'headers too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'E_TIMEOUT', 'the request took too long to arrive'],
};

export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, code, error] = ANSWERS[err.code ?? ''] ?? [
    400,
    'Bad Request',
    'E_REQUEST_INVALID',
    'malformed HTTP request',
  ];
  const body = JSON.stringify({ error, code, detail: 'the connection is closed' });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy();
}
