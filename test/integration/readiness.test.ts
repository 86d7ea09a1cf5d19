import request from 'supertest';
import { createReadiness } from '../../src/lib/readiness';
import { makeTestApp, TestApp } from '../helpers/make-app';

describe('GET /readyz and GET /healthz', () => {
  let t: TestApp;
  const readiness = createReadiness();
  beforeAll(async () => {
    t = await makeTestApp({ readiness });
  });
  afterAll(() => t.close());

  it('while starting: /readyz 503 "starting", /healthz 200, pages and the API 503 with no row written', async () => {
    const ready = await request(t.app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'starting' });
    expect(ready.headers['set-cookie']).toBeUndefined();
    expect((await request(t.app).get('/healthz')).status).toBe(200);

    const page = await request(t.app).get('/');
    expect(page.status).toBe(503);
    expect(page.text).toContain('Gatehouse is starting up');
    const api = await request(t.app).post('/api/auth/register').send({ username: 'early_bird', email: 'early@example.test', password: 'a long enough password' });
    expect(api.status).toBe(503);
    expect(api.body).toEqual({ error: { code: 'service_unavailable', message: 'Gatehouse is starting up. Please try again in a moment.' } });
    expect(await t.db('users').count({ n: '*' }).first()).toEqual({ n: 0 });
  });

  it('once ready: /readyz 200 with the database checked, and pages are served', async () => {
    readiness.ready();
    const ready = await request(t.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', database: 'ok' });
    expect(ready.headers['cache-control']).toBe('no-store');
    expect((await request(t.app).get('/')).status).toBe(200);
  });

  it('while draining: /readyz 503 "draining" and never ready again, while pages are still served', async () => {
    readiness.drain();
    readiness.ready();
    const ready = await request(t.app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'draining' });
    expect((await request(t.app).get('/')).status).toBe(200);
    expect((await request(t.app).get('/healthz')).status).toBe(200);
  });
});
