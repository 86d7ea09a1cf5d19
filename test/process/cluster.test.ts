import fs from 'node:fs';
import path from 'node:path';
import { describeRedis, TEST_REDIS_URL } from '../redis/redis';
import { logLines, send, ServerProcess, startServer } from './server-process';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The worker processes of a primary, read from /proc (ppid is the fourth field of /proc/PID/stat). */
function childrenOf(pid: number): number[] {
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((name) => {
    try {
      const stat = fs.readFileSync(path.join('/proc', name, 'stat'), 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  }).map(Number);
}

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describeRedis('WEB_CONCURRENCY: several workers under one primary (node:cluster)', () => {
  let server: ServerProcess | undefined;
  afterEach(() => {
    if (server) for (const pid of childrenOf(server.child.pid!)) process.kill(pid, 'SIGKILL');
    server?.cleanup();
  });

  const env = { WEB_CONCURRENCY: '2', REDIS_URL: TEST_REDIS_URL as string };

  it('announces once with its workers, replaces a worker that dies, and keeps answering meanwhile', async () => {
    server = await startServer(env);
    expect(server.output().match(/Gatehouse listening/g)).toHaveLength(1);
    expect(server.output()).toContain('2 workers');
    const workers = childrenOf(server.child.pid!);
    expect(workers).toHaveLength(2);

    process.kill(workers[0]!, 'SIGKILL');
    // A connection the primary hands to a worker at the instant it dies is lost with it (a request
    // in flight on the killed process); once the primary knows, the survivor takes everything.
    await waitFor(() => (logLines(server!.output()).some((line) => line.msg === 'worker died: starting another') ? true : undefined), 'the log line');
    const answers = await Promise.all(Array.from({ length: 20 }, () => send(server!.port, 'GET', '/healthz')));
    expect(answers.map((res) => res.status)).toEqual(Array(20).fill(200));
    const replaced = await waitFor(() => {
      const now = childrenOf(server!.child.pid!);
      return now.length === 2 && !now.includes(workers[0]!) ? now : undefined;
    }, 'a replacement worker');
    expect(replaced).toContain(workers[1]);
    expect((await send(server.port, 'GET', '/healthz')).status).toBe(200);
  });

  it('on SIGTERM every worker drains and the primary exits 0 once they all have', async () => {
    server = await startServer(env);
    const workers = childrenOf(server.child.pid!);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const messages = logLines(server.output()).map((line) => line.msg);
    expect(messages.filter((msg) => msg === 'database pool closed; stopped')).toHaveLength(2);
    expect(messages).toContain('every worker stopped');
    for (const pid of workers) expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
  });

  it('stops with exit 1, rather than restarting workers for ever, when the workers cannot listen', async () => {
    server = await startServer();
    const second = startServer({ ...env, PORT: String(server.port) });
    await expect(second).rejects.toThrow(/a worker failed before it could listen/);
    expect((await send(server.port, 'GET', '/healthz')).status).toBe(200);
  });
});
