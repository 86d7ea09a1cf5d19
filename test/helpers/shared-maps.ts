/**
 * Run as `node --allow-natives-syntax --require tsx/cjs test/helpers/shared-maps.ts`: serves
 * pairs of concurrent requests through an Express app (a middleware adding properties, a
 * router) on `createHttpServer`, holds the first of each pair until the second reaches the
 * same handler, and asks V8 whether the two `req`s (and the two `res`es) share a hidden class.
 * Prints `{ "pairs": N, "sharedRequestMaps": N, "sharedResponseMaps": N }`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Request, Response } from 'express';
import { createHttpServer } from '../../src/lib/http-server';

// V8's own answer (needs --allow-natives-syntax); a Function so TypeScript leaves the % alone.
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

const app = express();
const counts = { pairs: 0, sharedRequestMaps: 0, sharedResponseMaps: 0 };
let held: { req: Request; res: Response } | undefined;
app.use((req, res, next) => {
  (req as Request & { seenAt?: number }).seenAt = Date.now();
  res.locals.page = 'shared-maps';
  next();
});
const router = express.Router();
router.get('/pair', (req, res) => {
  if (!held) {
    held = { req, res };
    return;
  }
  counts.pairs += 1;
  if (haveSameMap(req, held.req)) counts.sharedRequestMaps += 1;
  if (haveSameMap(res, held.res)) counts.sharedResponseMaps += 1;
  held.res.send('first');
  held = undefined;
  res.send('second');
});
app.use(router);

const server = createHttpServer(app);
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const get = () => new Promise<void>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/pair', agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
  for (let i = 0; i < 20; i += 1) await Promise.all([get(), get()]);
  agent.destroy();
  server.close();
  process.stdout.write(JSON.stringify(counts));
});
