import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { ROOT_DIR } from '../../src/config/env';
import { createHttpServer } from '../../src/lib/http-server';

async function listening(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('createHttpServer', () => {
  it('creates each request and response with the app\'s prototypes, before Express sees them', async () => {
    const app = express();
    app.get('/', (req, res) => { res.json({ path: req.path, query: req.query }); });
    const server = createHttpServer(app);
    const born: boolean[] = [];
    server.prependListener('request', (req, res) => {
      born.push(Object.getPrototypeOf(req) === app.request && Object.getPrototypeOf(res) === app.response);
    });
    const port = await listening(server);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/?q=1`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ path: '/', query: { q: '1' } });
      expect(born).toEqual([true]);
    } finally {
      server.close();
    }
  });

  it('(control) a server Express creates itself gets Node\'s classes, which Express re-prototypes', async () => {
    const app = express();
    app.get('/', (_req, res) => { res.send('ok'); });
    const server = http.createServer(app);
    const born: boolean[] = [];
    server.prependListener('request', (req) => { born.push(Object.getPrototypeOf(req) === app.request); });
    const port = await listening(server);
    try {
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
      expect(born).toEqual([false]);
    } finally {
      server.close();
    }
  });

  it('lets requests share V8 hidden classes from one to the next (V8\'s own %HaveSameMap)', () => {
    const output = execFileSync(process.execPath, ['--allow-natives-syntax', '--require', 'tsx/cjs', path.join('test', 'helpers', 'shared-maps.ts')], {
      cwd: ROOT_DIR,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(JSON.parse(output)).toEqual({ pairs: 20, sharedRequestMaps: 20, sharedResponseMaps: 20 });
  });
});
