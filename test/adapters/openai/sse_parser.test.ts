// The event-stream reader the proxy parses upstream streams with: events split anywhere, every line
// ending the standard allows, comments and unknown fields dropped, and a bound on one event's size.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser, SseTooLarge } from '../../../src/adapters/openai/sse_parser.js';

const feed = (parser: SseParser, pieces: (string | Buffer)[]) =>
  pieces.flatMap((p) => parser.push(typeof p === 'string' ? Buffer.from(p, 'utf8') : p));

test('events are read whole however the stream is split, with LF, CRLF and CR line endings', () => {
  const text =
    'data: {"a":1}\n\n: comment\r\ndata: two\r\ndata: lines\r\n\r\nevent: error\rdata: x\r\rid: 7\nretry: 5\ndata:[DONE]\n\n';
  const whole = feed(new SseParser(1024), [text]);
  assert.deepEqual(whole, [
    { event: null, data: '{"a":1}' },
    { event: null, data: 'two\nlines' },
    { event: 'error', data: 'x' },
    { event: null, data: '[DONE]' },
  ]);
  for (let cut = 1; cut < text.length; cut++) {
    const parser = new SseParser(1024);
    assert.deepEqual(feed(parser, [text.slice(0, cut), text.slice(cut)]), whole, `cut at ${cut}`);
    assert.equal(parser.idle, true);
  }
});

test('a multi-byte character split between two pieces is read as one', () => {
  const bytes = Buffer.from('data: café ☕\n\n', 'utf8');
  const at = bytes.indexOf(0xe2) + 1; // inside the three bytes of ☕
  assert.deepEqual(feed(new SseParser(64), [bytes.subarray(0, at), bytes.subarray(at)]), [
    { event: null, data: 'café ☕' },
  ]);
});

test('an unfinished event is not idle, and an event past the bound is refused', () => {
  const parser = new SseParser(16);
  assert.deepEqual(feed(parser, ['data: abc']), []);
  assert.equal(parser.idle, false);
  assert.throws(() => feed(new SseParser(16), ['data: 0123456789\ndata: 0123456789\n']), SseTooLarge);
  assert.throws(() => feed(new SseParser(16), ['data: 01234567890123456789']), SseTooLarge);
});
