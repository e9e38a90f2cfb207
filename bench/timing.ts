// Per-call timing with percentiles: warm up, then time every call with hrtime and sort.

export interface Percentiles {
  p50: number;
  p99: number;
  p999: number;
  mean: number;
}

/** Calls `fn(i)` `warmup` times untimed, then `iterations` times timed; results in microseconds. */
export function timeEach(options: { iterations: number; warmup: number }, fn: (i: number) => unknown): Percentiles {
  for (let i = 0; i < options.warmup; i++) fn(i);
  const samples = new Float64Array(options.iterations);
  for (let i = 0; i < options.iterations; i++) {
    const start = process.hrtime.bigint();
    fn(i);
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  return percentiles(samples);
}

export function percentiles(samples: Float64Array): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  let sum = 0;
  for (const s of sorted) sum += s;
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), mean: sum / sorted.length };
}
