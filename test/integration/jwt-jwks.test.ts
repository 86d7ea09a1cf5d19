import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createUser } from '../helpers/factories';
import { makeTestApp, TestApp } from '../helpers/make-app';

describe.each(['RS256', 'ES256'] as const)('GET /.well-known/jwks.json with %s', (algorithm) => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp({ env: { JWT_ALGORITHM: algorithm } }); });
  afterAll(() => t.close());

  it('publishes the one public key under its kid, with no private members', async () => {
    const res = await request(t.app).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
    expect(res.body.keys).toHaveLength(1);
    const [jwk] = res.body.keys;
    expect(jwk).toMatchObject({ kid: t.keys.kid, alg: algorithm, use: 'sig', kty: algorithm === 'RS256' ? 'RSA' : 'EC' });
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(jwk).not.toHaveProperty(secret);
  });

  it('lets another service verify a token from /api/auth/login with jsonwebtoken and the JWK, without the database', async () => {
    const user = await createUser(t);
    const login = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
    expect(login.status).toBe(200);
    const { keys } = (await request(t.app).get('/.well-known/jwks.json')).body as { keys: (crypto.JsonWebKey & { kid: string })[] };

    const { header } = jwt.decode(login.body.access_token, { complete: true })!;
    const jwk = keys.find((key) => key.kid === header.kid);
    expect(jwk).toBeDefined();
    const publicKey = crypto.createPublicKey({ key: jwk!, format: 'jwk' });
    const claims = jwt.verify(login.body.access_token, publicKey, { algorithms: [algorithm], issuer: 'gatehouse', audience: 'gatehouse' });
    expect(claims).toMatchObject({ sub: user.id, username: user.username, type: 'access' });
  });
});

describe('GET /.well-known/jwks.json with HS256', () => {
  let t: TestApp;
  beforeAll(async () => { t = await makeTestApp({ env: { JWT_ALGORITHM: 'HS256' } }); });
  afterAll(() => t.close());

  it('publishes no keys: a shared secret is never published', async () => {
    const res = await request(t.app).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ keys: [] });
    expect(res.text).not.toContain(t.config.jwt.secret);
  });
});
