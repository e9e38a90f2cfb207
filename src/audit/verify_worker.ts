// Worker thread for parallel verification: scans one line-aligned byte range and sends the result back.

import { parentPort } from 'node:worker_threads';
import { scanLines } from './scan_lines.js';

parentPort?.on('message', (message: { bytes: Uint8Array }) => {
  const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
  const range = scanLines(bytes, 0, bytes.length);
  const leafHashes = new Uint8Array(range.leafHashes); // its own ArrayBuffer, so it can be transferred
  parentPort?.postMessage({ ...range, leafHashes }, [leafHashes.buffer]);
});
