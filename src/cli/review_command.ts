// `carapace review`: an approver lists human reviews and approves or rejects one through a running
// gateway; a rejection needs a note, checked before any request is made.

import { REVIEW_STATUSES } from '../store/store.js';
import { type ConnectionOptions, gatewayRequest, resolveConnection } from './gateway_client.js';
import { failure, printJson } from './io.js';

export async function reviewListCommand(options: ConnectionOptions & { status?: string }): Promise<number> {
  const status = options.status;
  if (status !== undefined && !REVIEW_STATUSES.includes(status as (typeof REVIEW_STATUSES)[number]))
    throw failure(
      'E_ARG_INVALID',
      'invalid --status',
      `--status must be one of ${REVIEW_STATUSES.join(', ')}`,
    );
  const query = status === undefined ? '' : `?status=${encodeURIComponent(status)}`;
  printJson(await gatewayRequest(resolveConnection(options), 'GET', `/v1/reviews${query}`));
  return 0;
}

export async function reviewDecideCommand(
  verb: 'approve' | 'reject',
  id: string,
  options: ConnectionOptions & { note?: string },
): Promise<number> {
  if (verb === 'reject' && (options.note === undefined || options.note.trim() === ''))
    throw failure('E_NOTE_REQUIRED', 'a rejection needs a note', 'pass --note TEXT saying why');
  const conn = resolveConnection(options);
  const body = options.note === undefined ? {} : { note: options.note };
  printJson(await gatewayRequest(conn, 'POST', `/v1/reviews/${encodeURIComponent(id)}/${verb}`, body));
  return 0;
}
