import request from 'supertest';
import { Browser } from '../helpers/browser';
import { createUser, DEFAULT_PASSWORD, signIn } from '../helpers/factories';
import { makeTestApp, TestApp } from '../helpers/make-app';

describe('GET /metrics after journeys with known names, addresses and tokens', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ env: { TRUST_PROXY: 'loopback' } });
  });
  afterAll(() => t.close());

  it('holds no username, email, IP or token in any label or value', async () => {
    const secrets: string[] = ['Zebra_Marker', 'zebra.marker@example.test', 'Yak_Marker', 'yak.marker@example.test', 'Unknown_Marker', '203.0.113.77', '127.0.0.1'];
    const visitor = new Browser(t.app);
    expect((await visitor.submit('/auth/register', {
      username: 'Zebra_Marker', email: 'zebra.marker@example.test', password: DEFAULT_PASSWORD, password_confirmation: DEFAULT_PASSWORD,
    }, '/auth/register')).status).toBe(303);
    await visitor.get('/me');
    await visitor.get('/me/sessions');

    const api = await request(t.app).post('/api/auth/register').set('X-Forwarded-For', '203.0.113.77')
      .send({ username: 'Yak_Marker', email: 'yak.marker@example.test', password: DEFAULT_PASSWORD });
    expect(api.status).toBe(201);
    const login = await request(t.app).post('/api/auth/login').set('X-Forwarded-For', '203.0.113.77')
      .send({ email: 'yak.marker@example.test', password: DEFAULT_PASSWORD });
    expect(login.status).toBe(200);
    secrets.push(login.body.access_token, login.body.refresh_token);
    await request(t.app).get('/api/me').set('Authorization', `Bearer ${login.body.access_token}`);
    const refreshed = await request(t.app).post('/api/auth/refresh').send({ refresh_token: login.body.refresh_token });
    secrets.push(refreshed.body.refresh_token);
    await request(t.app).post('/api/auth/login').send({ login: 'Unknown_Marker', password: 'whatever it is' });
    await request(t.app).post('/api/auth/forgot').send({ email: 'zebra.marker@example.test' });
    await request(t.app).get('/Zebra_Marker/profile');
    await request(t.app).get('/api/articles/yak.marker@example.test');

    const admin = await createUser(t, { roles: { is_admin: true } });
    const adminBrowser = await signIn(t, admin);
    await adminBrowser.get('/admin/users?q=zebra.marker%40example.test');
    const yak = await t.db('users').where({ username: 'Yak_Marker' }).first();
    await adminBrowser.get(`/admin/users/${yak.public_id}`);
    secrets.push(yak.public_id, admin.username, admin.email);
    await t.app.services.outbox.drain();

    const res = await request(t.app).get('/metrics');
    expect(res.status).toBe(200);
    const text = res.text.toLowerCase();
    expect(secrets.filter((secret) => text.includes(secret.toLowerCase()))).toEqual([]);
    // The journeys were counted, by pattern.
    expect(res.text).toContain('route="/admin/users/:id"');
    expect(res.text).toContain('gatehouse_registrations_total 3');
  });
});
