// The sealed process's wire format, as the confidential agent's (origins.md §4.1): each message is a
// 4-byte big-endian length followed by that many bytes of UTF-8 JSON (an object), at most 10 MiB. A
// length over the cap is refused before its body is read; a body that is not a JSON object is refused.

export const MAX_FRAME_BYTES = 10 * 1024 * 1024;

export class FrameError extends Error {
  constructor(
    readonly code: 'E_FRAME_TOO_LARGE' | 'E_FRAME_MALFORMED',
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

export function encodeFrame(message: Record<string, unknown>): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_FRAME_BYTES)
    throw new FrameError(
      'E_FRAME_TOO_LARGE',
      `a frame of ${body.length} bytes is over the ${MAX_FRAME_BYTES}-byte cap`,
    );
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into messages. After the first FrameError it yields nothing more. */
export class FrameReader {
  private buffered = Buffer.alloc(0);
  private failed = false;

  push(chunk: Buffer): (Record<string, unknown> | FrameError)[] {
    if (this.failed) return [];
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const out: (Record<string, unknown> | FrameError)[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES)
        return this.fail(
          out,
          new FrameError(
            'E_FRAME_TOO_LARGE',
            `a frame announces ${length} bytes; the cap is ${MAX_FRAME_BYTES}`,
          ),
        );
      if (length === 0) return this.fail(out, new FrameError('E_FRAME_MALFORMED', 'an empty frame'));
      if (this.buffered.length < 4 + length) break;
      const body = this.buffered.subarray(4, 4 + length);
      this.buffered = this.buffered.subarray(4 + length);
      let message: unknown;
      try {
        message = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
      } catch {
        return this.fail(out, new FrameError('E_FRAME_MALFORMED', 'a frame is not UTF-8 JSON'));
      }
      if (typeof message !== 'object' || message === null || Array.isArray(message))
        return this.fail(out, new FrameError('E_FRAME_MALFORMED', 'a frame is not a JSON object'));
      out.push(message as Record<string, unknown>);
    }
    return out;
  }

  private fail(out: (Record<string, unknown> | FrameError)[], error: FrameError) {
    this.failed = true;
    this.buffered = Buffer.alloc(0);
    out.push(error);
    return out;
  }
}
