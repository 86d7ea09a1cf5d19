import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { logLines, send, ServerProcess, startServer } from './server-process';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the real server process', () => {
  let server: ServerProcess | undefined;
  afterEach(() => server?.cleanup());

  it('on SIGTERM refuses new connections, finishes the request in flight, closes idle keep-alive sockets and the pool, and exits 0', async () => {
    // bcrypt at cost 13 makes an unknown-user login (dummy hash made, then compared) take a while.
    server = await startServer({ BCRYPT_COST: '13' });
    const idle = new http.Agent({ keepAlive: true });
    const busy = new http.Agent({ keepAlive: true });
    expect((await send(server.port, 'GET', '/healthz', undefined, idle)).status).toBe(200);
    expect((await send(server.port, 'GET', '/healthz', undefined, busy)).status).toBe(200);

    const slow = send(server.port, 'POST', '/api/auth/login', { login: 'nobody_at_all', password: 'some password here' }, busy);
    await sleep(150);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await sleep(150);
    await expect(send(server.port, 'GET', '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const res = await slow;
    expect(res.at).toBeGreaterThan(signalledAt);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'invalid_credentials', message: 'Incorrect username or password' } });

    const code = await server.exited;
    expect(code).toBe(0);
    // Promptly after the last response: not after a keep-alive timeout (5 s) nor by the force timer (10 s).
    expect(Date.now() - res.at).toBeLessThan(3000);
    const messages = logLines(server.output()).map((line) => line.msg);
    expect(messages).toEqual(expect.arrayContaining([
      'shutting down: no new connections, finishing requests in flight',
      'database pool closed; stopped',
    ]));
    idle.destroy();
    busy.destroy();
  });

  describe('after a programming error nobody caught', () => {
    let preload: string;
    beforeAll(() => {
      // Injected through --require: signals that make the process fail the way a bug would.
      preload = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-fault-')), 'inject.cjs');
      fs.writeFileSync(preload, [
        "process.on('SIGUSR2', () => { Promise.reject(new Error('injected rejection')); });",
        "process.on('SIGHUP', () => { setImmediate(() => { throw new Error('injected exception'); }); });",
      ].join('\n'));
    });

    it.each([
      ['an unhandled promise rejection', 'SIGUSR2', 'unhandled promise rejection', 'injected rejection'],
      ['an uncaught exception', 'SIGHUP', 'uncaught exception', 'injected exception'],
    ] as const)('after %s, logs it as fatal, stops listening and exits 1 instead of staying half-alive', async (_name, signal, message, cause) => {
      server = await startServer({}, ['--require', preload]);
      expect((await send(server.port, 'GET', '/healthz')).status).toBe(200);
      server.child.kill(signal);
      expect(await server.exited).toBe(1);
      const fatal = logLines(server.output()).find((line) => line.level === 60);
      expect(fatal).toMatchObject({ msg: message, err: expect.objectContaining({ message: cause }) });
      await expect(send(server.port, 'GET', '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });
  });

  it('exits 1 with a fatal log line when its port is already taken', async () => {
    server = await startServer();
    const second = startServer({ PORT: String(server.port) });
    await expect(second).rejects.toThrow(/"level":60.*"msg":"cannot listen"/);
    await expect(second).rejects.toThrow(/EADDRINUSE/);
    expect((await send(server.port, 'GET', '/healthz')).status).toBe(200);
  });
});
