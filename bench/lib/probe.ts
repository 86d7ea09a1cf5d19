import http from 'node:http';

/**
 * A latency probe in a process of its own (run by run.ts): one keep-alive connection, one
 * request every `intervalMs`, for `seconds`. Measured apart from the load generator, so its
 * figures are the server's latency, not the time the storm's client took to notice a reply.
 * Usage: node --import tsx bench/lib/probe.ts PORT PATH SECONDS INTERVAL_MS — prints one JSON line.
 */
async function main(): Promise<void> {
  const [port, path, seconds, intervalMs] = process.argv.slice(2);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const end = Date.now() + Number(seconds) * 1000;
  while (Date.now() < end) {
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
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const result = {
    reqPerSec: latencies.length / Number(seconds),
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
