import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { startTcpProxy, TcpProxy } from '../helpers/tcp-proxy';
import { logLines, send, ServerProcess, SimpleResponse, startServer } from './server-process';

const NOT_READY_YET = 'listening; not ready until the database is migrated';

/** Polls until the check passes (the server retries on its own schedule); fails after 20 s. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const json = (res: SimpleResponse) => JSON.parse(res.body) as Record<string, unknown>;

describe('GET /readyz on the real server process', () => {
  let server: ServerProcess | undefined;
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-ready-'));
  });
  afterEach(() => {
    server?.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 "starting" (and every page and API route 503) while the database cannot be opened, then 200 once it is migrated', async () => {
    // A directory where the SQLite file should be: the database cannot be opened until it is removed.
    const file = path.join(dir, 'gatehouse.sqlite');
    fs.mkdirSync(file);
    server = await startServer({ DATABASE_URL: `sqlite:${file}` }, [], NOT_READY_YET);

    const ready = await send(server.port, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(json(ready)).toEqual({ status: 'starting' });
    expect((await send(server.port, 'GET', '/healthz')).status).toBe(503);
    const api = await send(server.port, 'GET', '/api/me');
    expect(api.status).toBe(503);
    expect(json(api)).toEqual({ error: { code: 'service_unavailable', message: expect.stringContaining('starting up') } });
    const page = await send(server.port, 'GET', '/auth/login');
    expect(page.status).toBe(503);
    expect(page.body).toContain('starting up');
    expect(server.output()).not.toContain('Gatehouse listening');
    expect(logLines(server.output())).toEqual(expect.arrayContaining([
      expect.objectContaining({ level: 40, msg: 'database unreachable: waiting for it before migrating' }),
    ]));

    fs.rmdirSync(file);
    await until(async () => (await send(server!.port, 'GET', '/readyz')).status === 200, '/readyz 200');
    expect(json(await send(server.port, 'GET', '/readyz'))).toEqual({ status: 'ready', database: 'ok' });
    expect((await send(server.port, 'GET', '/auth/login')).status).toBe(200);
    expect(server.output()).toContain('Gatehouse listening');
    expect(logLines(server.output()).map((line) => line.msg)).toContain('migrations applied');
  });

  it('from SIGTERM on answers 503 "draining" while still serving other requests for SHUTDOWN_DRAIN_DELAY, then closes and exits 0', async () => {
    server = await startServer({ SHUTDOWN_DRAIN_DELAY: '4s' });
    expect((await send(server.port, 'GET', '/readyz')).status).toBe(200);

    server.child.kill('SIGTERM');
    await until(async () => server!.output().includes('draining: /readyz answers 503'), 'the draining log line');
    const draining = await send(server.port, 'GET', '/readyz');
    expect(draining.status).toBe(503);
    expect(json(draining)).toEqual({ status: 'draining' });
    expect((await send(server.port, 'GET', '/healthz')).status).toBe(200);
    expect((await send(server.port, 'GET', '/auth/login')).status).toBe(200);

    expect(await server.exited).toBe(0);
    const messages = logLines(server.output()).map((line) => line.msg);
    expect(messages.indexOf('draining: /readyz answers 503, requests still served'))
      .toBeLessThan(messages.indexOf('shutting down: no new connections, finishing requests in flight'));
    await expect(send(server.port, 'GET', '/readyz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('stops waiting for an unreachable database when told to stop, and exits 0', async () => {
    const file = path.join(dir, 'gatehouse.sqlite');
    fs.mkdirSync(file);
    server = await startServer({ DATABASE_URL: `sqlite:${file}` }, [], NOT_READY_YET);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).not.toContain('Gatehouse listening');
  });
});

describeMysql('GET /readyz on the real server process, on MariaDB through a TCP proxy the test cuts', () => {
  let scratch: ScratchDatabase;
  let proxy: TcpProxy;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    scratch = await createScratchMysqlDatabase();
    const url = new URL(scratch.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 3306) });
  });
  afterAll(async () => {
    server?.cleanup();
    await proxy?.close();
    await scratch?.drop();
  });

  it('is 503 while MariaDB is unreachable at start, 200 once it answers, 503 when the connection is cut and 200 again after', async () => {
    await proxy.cut();
    const url = new URL(scratch.url);
    url.host = `127.0.0.1:${proxy.port}`;
    server = await startServer({ DATABASE_URL: url.toString() }, [], NOT_READY_YET);
    expect(json(await send(server.port, 'GET', '/readyz'))).toEqual({ status: 'starting' });

    await proxy.restore();
    await until(async () => (await send(server!.port, 'GET', '/readyz')).status === 200, '/readyz 200 after the database came up');
    expect(server.output()).toContain('Gatehouse listening');

    await proxy.cut();
    const cut = await send(server.port, 'GET', '/readyz');
    expect(cut.status).toBe(503);
    expect(json(cut)).toEqual({ status: 'unavailable', database: 'unreachable' });

    await proxy.restore();
    await until(async () => (await send(server!.port, 'GET', '/readyz')).status === 200, '/readyz 200 after the cut');
  });
});
