import request from 'supertest';
import { apiLogin, createUser, UserFixture } from '../helpers/factories';
import { errorEnvelope, isCleared, setCookie } from '../helpers/http';
import { decodeParts, forgedAccessTokens, signWithAppKey } from '../helpers/jwt-forge';
import { makeTestApp, TestApp } from '../helpers/make-app';

describe.each(['RS256', 'ES256', 'HS256'] as const)('bad tokens through the app, with %s', (algorithm) => {
  let t: TestApp;
  let user: UserFixture;
  let tokens: { access_token: string; refresh_token: string };
  let forged: [string, string][];

  beforeAll(async () => {
    t = await makeTestApp({ env: { JWT_ALGORITHM: algorithm } });
    user = await createUser(t);
    tokens = await apiLogin(t, user);
    forged = forgedAccessTokens(t.keys, tokens.access_token, tokens.refresh_token);
  });
  afterAll(() => t.close());

  it('(control) GET /api/me accepts the genuine token and the same claims re-signed with our key', async () => {
    const resigned = signWithAppKey(t.keys, decodeParts(tokens.access_token).payload);
    for (const token of [tokens.access_token, resigned]) {
      const res = await request(t.app).get('/api/me').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(res.body.username).toBe(user.username);
    }
  });

  it('GET /api/me answers 401 with the JSON envelope for every forged Bearer token', async () => {
    expect(forged.length).toBeGreaterThanOrEqual(15);
    for (const [name, token] of forged) {
      const res = await request(t.app).get('/api/me').set('Authorization', `Bearer ${token}`);
      expect({ name, status: res.status }).toEqual({ name, status: 401 });
      expect(errorEnvelope(res)).toEqual({ code: 'token_invalid', message: expect.any(String) });
    }
  });

  it('GET /me sends every forged access cookie to the login page with next=/me, and clears it', async () => {
    for (const [name, token] of forged) {
      const res = await request(t.app).get('/me').set('Cookie', `access_token=${token}`);
      expect({ name, status: res.status, location: res.headers.location }).toEqual({ name, status: 303, location: '/auth/login?next=%2Fme' });
      expect(isCleared(setCookie(res, 'access_token'))).toBe(true);
    }
  });

  it('GET /me does not take the access token from the refresh cookie slot either', async () => {
    const res = await request(t.app).get('/me').set('Cookie', `refresh_token=${tokens.access_token}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/auth/login?next=%2Fme');
  });

  it('an expired access token (test clock past ACCESS_TOKEN_TTL) gets 401 token_expired, then 303 on the page', async () => {
    const fresh = await apiLogin(t, user);
    t.clock.advance(t.config.jwt.accessTtlSeconds + 1);
    const api = await request(t.app).get('/api/me').set('Authorization', `Bearer ${fresh.access_token}`);
    expect(api.status).toBe(401);
    expect(errorEnvelope(api).code).toBe('token_expired');
    const page = await request(t.app).get('/me').set('Cookie', `access_token=${fresh.access_token}`);
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/auth/login?next=%2Fme');
  });

  it('POST /api/auth/refresh refuses an access token in place of the refresh token', async () => {
    const fresh = await apiLogin(t, user);
    const res = await request(t.app).post('/api/auth/refresh').send({ refresh_token: fresh.access_token });
    expect(res.status).toBe(401);
    expect(errorEnvelope(res).code).toBe('invalid_refresh_token');
  });

  it.each([
    ['no scheme', (token: string) => token],
    ['Basic', () => 'Basic YWxpY2U6cGFzc3dvcmQ='],
    ['an empty Bearer', () => 'Bearer '],
    ['two tokens', (token: string) => `Bearer ${token} ${token}`],
  ])('GET /api/me refuses an Authorization header with %s', async (_name, header) => {
    const fresh = await apiLogin(t, user);
    const res = await request(t.app).get('/api/me').set('Authorization', header(fresh.access_token));
    expect(res.status).toBe(401);
    errorEnvelope(res);
  });
});
