// Worker thread for parallel verification: scans one line-aligned byte range and sends the result back.

import { parentPort } from 'node:worker_threads';
import { scanLines } from './scan_lines.js';

parentPort?.on('message', (message: { bytes: Uint8Array }) => {
  const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
  const range = scanLines(bytes, 0, bytes.length);
  // Own ArrayBuffers, so that they can be transferred rather than copied.
  const leafHashes = new Uint8Array(range.leafHashes);
  const pairHashes = new Uint8Array(range.pairHashes);
  parentPort?.postMessage({ ...range, leafHashes, pairHashes }, [leafHashes.buffer, pairHashes.buffer]);
});
