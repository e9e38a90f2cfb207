// Loaded into a gateway process by scripts/load.ts (node --import): answers the parent's "memory" message
// over IPC with process.memoryUsage(), after a full collection when asked for "memory-gc" (node
// --expose-gc). Plain JavaScript so that it loads before any TypeScript loader.
if (process.send) {
  process.on('message', (message) => {
    if (message !== 'memory' && message !== 'memory-gc') return;
    if (message === 'memory-gc' && typeof globalThis.gc === 'function') globalThis.gc();
    process.send({ memory: process.memoryUsage() });
  });
  // The channel must not keep the gateway alive once it is told to stop.
  process.channel?.unref();
}
