import bcrypt from 'bcrypt';

/**
 * Baseline (c): raw bcrypt.compare throughput at the configured cost, with the concurrency
 * model of a login storm: N compares in flight at once on the libuv thread pool, a new one
 * started as soon as one finishes. Run in its own process with the same UV_THREADPOOL_SIZE
 * as Gatehouse. Prints one JSON line per repetition, then one with the peak RSS. With
 * BENCH_REQUESTS a repetition ends after that many compares instead of BENCH_DURATION_S.
 */
const cost = Number(process.env.BCRYPT_COST ?? 12);
const concurrency = Number(process.env.BENCH_CONNECTIONS ?? 50);
const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
const warmupS = Number(process.env.BENCH_WARMUP_S ?? 0);
const reps = Number(process.env.BENCH_REPS ?? 3);
const count = process.env.BENCH_REQUESTS ? Number(process.env.BENCH_REQUESTS) : undefined;
const PASSWORD = 'quokka-lantern-harbour-42';

async function storm(hash: string, seconds: number, amount?: number) {
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = amount === undefined ? started + seconds * 1000 : Infinity;
  // Queued compares cannot be cancelled: CPU is read when the window closes, not after the drain.
  let cpu = { user: 0, system: 0 };
  const windowClose = amount === undefined ? setTimeout(() => { cpu = process.cpuUsage(cpuBefore); }, seconds * 1000) : undefined;
  let begun = 0;
  async function worker() {
    while (amount === undefined ? performance.now() < end : begun < amount) {
      begun += 1;
      const t0 = performance.now();
      await bcrypt.compare(PASSWORD, hash);
      const t1 = performance.now();
      if (t1 <= end) latencies.push(t1 - t0);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  clearTimeout(windowClose);
  if (amount !== undefined) {
    cpu = process.cpuUsage(cpuBefore);
    seconds = (performance.now() - started) / 1000;
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    reqPerSec: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: latencies[latencies.length - 1] ?? NaN,
    requests: latencies.length,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    cpuUsPerReq: (cpu.user + cpu.system) / Math.max(latencies.length, 1),
  };
}

async function main() {
  const hash = await bcrypt.hash(PASSWORD, cost);
  if (warmupS > 0) await storm(hash, warmupS);
  for (let i = 0; i < reps; i += 1) {
    process.stdout.write(`${JSON.stringify({ rep: await storm(hash, durationS, count) })}\n`);
  }
  process.stdout.write(`${JSON.stringify({ peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
