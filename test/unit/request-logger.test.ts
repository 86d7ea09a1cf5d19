import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { requestLogger } from '../../src/middleware/request-logger';

/** A request the client gives up on before any answer is still logged, as aborted. */
describe('requestLogger', () => {
  it('logs a request whose client left before the answer as aborted, with its status so far', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({ write(chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    const app = express();
    app.use(requestLogger(pino({ base: undefined }, stream)));
    let arrived!: () => void;
    const handlerReached = new Promise<void>((resolve) => { arrived = resolve; });
    app.get('/slow', () => arrived()); // never answers
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = http.get({ host: '127.0.0.1', port, path: '/slow?secret=abc' });
      client.on('error', () => undefined);
      await handlerReached;
      client.destroy();
      for (let waited = 0; lines.length === 0 && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(lines).toEqual([expect.objectContaining({ msg: 'request aborted', req: expect.objectContaining({ method: 'GET', path: '/slow' }), res: { statusCode: 200 } })]);
      expect(JSON.stringify(lines)).not.toContain('abc');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
