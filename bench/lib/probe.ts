import http from 'node:http';

/**
 * A latency probe in a process of its own (run by run.ts): one keep-alive connection, one
 * request every `intervalMs`, for `seconds` (or `nCOUNT`: until COUNT requests are answered).
 * Measured apart from the load generator, so its figures are the server's latency, not the time
 * the storm's client took to notice a reply.
 * Usage: node --import tsx bench/lib/probe.ts PORT PATH SECONDS|nCOUNT INTERVAL_MS — prints one JSON line.
 */
async function main(): Promise<void> {
  const [port, path, length = '', intervalMs] = process.argv.slice(2);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const started = Date.now();
  const count = length.startsWith('n') ? Number(length.slice(1)) : undefined;
  const end = started + Number(length) * 1000;
  while (count === undefined ? Date.now() < end : latencies.length < count) {
    const started = performance.now();
    const status = await new Promise<number>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: Number(port), path, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
    });
    if (status === 0) errors += 1;
    else if (status < 200 || status >= 300) non2xx += 1;
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, Number(intervalMs)));
  }
  agent.destroy();
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const result = {
    reqPerSec: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: latencies[latencies.length - 1] ?? NaN,
    requests: latencies.length,
    non2xx,
    errors,
    timeouts: 0,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
