// Per-call timing with percentiles. Paths under comparison are timed in interleaved rounds, so that
// drift in a shared, noisy machine lands on all of them alike rather than on whichever ran last.

export interface Percentiles {
  p50: number;
  p99: number;
  p999: number;
  mean: number;
}

export interface TimingOptions {
  iterations: number;
  warmup: number;
  rounds?: number;
}

/**
 * Warms each path up with `warmup` untimed calls, then times `iterations` calls of each, split into
 * interleaved rounds; returns percentiles in microseconds per path, in the order given.
 */
export function timeInterleaved(options: TimingOptions, paths: ((i: number) => unknown)[]): Percentiles[] {
  for (const fn of paths) for (let i = 0; i < options.warmup; i++) fn(i);
  const rounds = options.rounds ?? 10;
  const perRound = Math.ceil(options.iterations / rounds);
  const samples = paths.map(() => new Float64Array(perRound * rounds));
  for (let r = 0; r < rounds; r++)
    for (const [p, fn] of paths.entries()) {
      const into = samples[p] as Float64Array;
      for (let k = 0; k < perRound; k++) {
        const i = r * perRound + k;
        const start = process.hrtime.bigint();
        fn(i);
        into[i] = Number(process.hrtime.bigint() - start) / 1000;
      }
    }
  return samples.map(percentiles);
}

export function percentiles(samples: Float64Array): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  let sum = 0;
  for (const s of sorted) sum += s;
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), mean: sum / sorted.length };
}
