import request from 'supertest';
import { makeTestApp, TestApp } from '../helpers/make-app';

const TOKEN = 'metrics-token-0123456789abcdef0123456789';
const PRODUCTION = { NODE_ENV: 'production', APP_URL: 'https://accounts.example.test', SMTP_URL: 'smtp://mail.example.test:587', BCRYPT_COST: '10' };

async function withApp(env: Record<string, string>, run: (t: TestApp) => Promise<void>): Promise<void> {
  const t = await makeTestApp({ env });
  try {
    await run(t);
  } finally {
    await t.close();
  }
}

describe('GET /metrics: who may read it', () => {
  it.each([
    ['test', {}],
    ['development', { NODE_ENV: 'development' }],
  ])('without METRICS_TOKEN in %s, is served to anyone', async (_env, env) => {
    await withApp(env, async (t) => {
      const res = await request(t.app).get('/metrics');
      expect(res.status).toBe(200);
      expect(res.text).toContain('gatehouse_logins_total');
    });
  });

  it('without METRICS_TOKEN in production, is not served at all (404, the JSON envelope)', async () => {
    await withApp(PRODUCTION, async (t) => {
      const res = await request(t.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: 'not_found', message: 'No such endpoint.' } });
    });
  });

  describe.each([
    ['test', {}],
    ['development', { NODE_ENV: 'development' }],
    ['production', PRODUCTION],
  ])('with METRICS_TOKEN in %s', (_env, env) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await makeTestApp({ env: { ...env, METRICS_TOKEN: TOKEN } });
    });
    afterAll(() => t.close());

    it.each([
      ['no Authorization header', undefined],
      ['a wrong token', `Bearer ${TOKEN.slice(0, -1)}x`],
      ['the token with a suffix', `Bearer ${TOKEN}x`],
      ['the token as Basic credentials', `Basic ${Buffer.from(`metrics:${TOKEN}`).toString('base64')}`],
      ['the token alone, without the scheme', TOKEN],
    ])('answers 401 with WWW-Authenticate to %s, and shows no metric', async (_case, authorization) => {
      const req = request(t.app).get('/metrics');
      const res = authorization === undefined ? await req : await req.set('Authorization', authorization);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(res.body).toEqual({ error: { code: 'unauthenticated', message: 'The metrics need Authorization: Bearer with the METRICS_TOKEN.' } });
      expect(res.text).not.toContain('gatehouse_');
    });

    it('answers 200 with the metrics to Authorization: Bearer <METRICS_TOKEN>', async () => {
      const res = await request(t.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('gatehouse_http_requests_total');
    });
  });
});
