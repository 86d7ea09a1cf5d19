import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request, { Response } from 'supertest';
import { ROOT_DIR } from '../../src/config/env';
import { readRouteTable } from '../../src/lib/route-table';
import { apiLogin, createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { createResponseValidator, loadOpenApi, OPENAPI_FILE, toOpenApiPath } from '../helpers/openapi';
import { linkIn, startSmtpServer, TestSmtp, tokenOf } from '../helpers/smtp';
import { totpCode } from '../helpers/totp';

const exec = promisify(execFile);

describe('docs/openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document (the official schema, through @seriousme/openapi-schema-validator)', async () => {
    // The validator is an ES module: it runs in a node of its own, outside jest's CommonJS.
    const script = `import { Validator } from '@seriousme/openapi-schema-validator';
      const result = await new Validator().validate(process.argv[1]);
      console.log(JSON.stringify(result));`;
    const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script, OPENAPI_FILE], { cwd: ROOT_DIR });
    expect(JSON.parse(stdout)).toEqual({ valid: true });
    expect(loadOpenApi().openapi).toBe('3.1.0');
  });

  it('describes every /api route the routers declare, and no /api route they do not', async () => {
    const t = await makeTestApp();
    try {
      const declared = readRouteTable(t.app).routes.filter((route) => route.path.startsWith('/api/'))
        .map((route) => `${route.method} ${toOpenApiPath(route.path)}`).sort();
      const described = createResponseValidator().operations.filter((op) => op.path.startsWith('/api/'))
        .map((op) => `${op.method} ${op.path}`).sort();
      expect(declared.length).toBeGreaterThan(10);
      expect(described).toEqual(declared);
    } finally {
      await t.close();
    }
  });

  it('is what GET /api/openapi.json serves, as JSON', async () => {
    const t = await makeTestApp();
    try {
      const res = await request(t.app).get('/api/openapi.json');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(loadOpenApi());
    } finally {
      await t.close();
    }
  });
});

describe('the running app against docs/openapi.yaml: a sweep over every operation', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  const validator = createResponseValidator();
  const seen: Array<{ method: string; path: string; status: number; problems: string[] }> = [];
  /** Sends one request and records how its answer matches the description. */
  async function check(method: 'get' | 'post' | 'patch' | 'delete', path: string, prepare: (req: request.Test) => request.Test = (req) => req): Promise<Response> {
    const res = await prepare(request(t.app)[method](path));
    const urlPath = path.split('?')[0]!;
    seen.push({ method, path: urlPath, status: res.status, problems: validator.problems(method, urlPath, res) });
    return res;
  }
  const json = (body: unknown) => (req: request.Test) => req.send(body as object);
  const bearer = (token: string, body?: unknown) => (req: request.Test) => {
    const withAuth = req.set('Authorization', `Bearer ${token}`);
    return body === undefined ? withAuth : withAuth.send(body as object);
  };

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await makeTestApp({ env: { SMTP_URL: smtp.url, RATE_LIMIT_LOGIN_PER_ACCOUNT: '3' } });
  });
  afterAll(async () => {
    await t.app.services.outbox.drain();
    await t.close();
    await smtp.close();
  });

  it('answers every operation with a described status and a body that matches its schema', async () => {
    await check('get', '/api/openapi.json');
    await check('get', '/.well-known/jwks.json');

    // Registration, its refusals and the body-level errors every JSON route shares.
    const newcomer = { username: 'sweep_newcomer', email: 'sweep_newcomer@example.test', password: DEFAULT_PASSWORD };
    expect((await check('post', '/api/auth/register', json(newcomer))).status).toBe(201);
    expect((await check('post', '/api/auth/register', json(newcomer))).status).toBe(409);
    expect((await check('post', '/api/auth/register', json({ username: ['x'] }))).status).toBe(422);
    expect((await check('post', '/api/auth/register', (req) => req.set('Content-Type', 'application/json').send('{"username":'))).status).toBe(400);
    expect((await check('post', '/api/auth/register', (req) => req.set('Content-Type', 'text/plain').send('username=x'))).status).toBe(415);
    expect((await check('post', '/api/auth/register', json({ username: 'x'.repeat(120_000) }))).status).toBe(413);

    // The verification link from the mail, used once and then dead.
    const verifyLink = linkIn(await smtp.next(newcomer.email, 'Confirm your email address'), '/auth/verify');
    expect((await check('post', '/api/auth/verify', json({ token: tokenOf(verifyLink) }))).status).toBe(200);
    expect((await check('post', '/api/auth/verify', json({ token: tokenOf(verifyLink) }))).status).toBe(400);

    // Login, refresh, logout.
    expect((await check('post', '/api/auth/login', json({ login: newcomer.username, password: newcomer.password }))).status).toBe(200);
    expect((await check('post', '/api/auth/login', json({ email: newcomer.email, password: 'not the password' }))).status).toBe(401);
    expect((await check('post', '/api/auth/login', json({ password: 'no login at all' }))).status).toBe(422);
    const tokens = await apiLogin(t, newcomer);
    expect((await check('post', '/api/auth/refresh', json({ refresh_token: tokens.refresh_token }))).status).toBe(200);
    expect((await check('post', '/api/auth/refresh', json({ refresh_token: 'garbage' }))).status).toBe(401);
    expect((await check('post', '/api/auth/refresh', json({}))).status).toBe(422);
    expect((await check('post', '/api/auth/logout', json({ refresh_token: tokens.refresh_token }))).status).toBe(204);

    // The signed-in user.
    const reader = await createUser(t);
    const { access_token: access } = await apiLogin(t, reader);
    expect((await check('get', '/api/me', bearer(access))).status).toBe(200);
    expect((await check('get', '/api/me')).status).toBe(401);
    expect((await check('patch', '/api/me', bearer(access, { first_name: 'Ada' }))).status).toBe(200);
    expect((await check('patch', '/api/me', bearer(access, { email: 'elsewhere@example.test', current_password: 'wrong password here' }))).status).toBe(422);
    t.clock.advance(61); // past the minute between two verification mails (registration sent one)
    expect((await check('post', '/api/me/verification', bearer(access))).status).toBe(202);
    const { access_token: verifiedAccess } = await apiLogin(t, newcomer);
    expect((await check('post', '/api/me/verification', bearer(verifiedAccess))).status).toBe(200);

    // Second factors: setup, the login's second step, recovery codes, turning it off.
    const careful = await createUser(t);
    const { access_token: carefulAccess } = await apiLogin(t, careful);
    const setup = await check('post', '/api/me/mfa/totp', bearer(carefulAccess, { current_password: careful.password }));
    expect(setup.status).toBe(200);
    expect((await check('post', '/api/me/mfa/totp/confirm', bearer(carefulAccess, { code: '000000' }))).status).toBe(422);
    expect((await check('post', '/api/me/mfa/totp/confirm', bearer(carefulAccess, { code: totpCode(setup.body.secret, t.clock) }))).status).toBe(200);
    t.clock.advance(30); // the confirming code's step is used up
    const firstStep = await check('post', '/api/auth/login', json({ login: careful.username, password: careful.password }));
    expect(firstStep.body.mfa_required).toBe(true);
    expect((await check('post', '/api/auth/mfa', json({ mfa_token: firstStep.body.mfa_token, code: '000000' }))).status).toBe(401);
    expect((await check('post', '/api/auth/mfa', json({ mfa_token: firstStep.body.mfa_token, code: totpCode(setup.body.secret, t.clock) }))).status).toBe(200);
    expect((await check('post', '/api/me/mfa/recovery-codes', bearer(carefulAccess, { current_password: careful.password }))).status).toBe(200);
    t.clock.advance(30);
    expect((await check('delete', '/api/me/mfa/totp', bearer(carefulAccess, { current_password: careful.password, code: totpCode(setup.body.secret, t.clock) }))).status).toBe(204);
    expect((await check('delete', '/api/me/mfa/totp', bearer(carefulAccess, { current_password: careful.password, code: '123456' }))).status).toBe(409);

    // Mail forms and the reset link.
    expect((await check('post', '/api/auth/verify/resend', json({ email: 'nobody@example.test' }))).status).toBe(202);
    expect((await check('post', '/api/auth/forgot', json({ email: reader.email }))).status).toBe(202);
    expect((await check('post', '/api/auth/forgot', json({ email: 'not an address' }))).status).toBe(422);
    const resetLink = linkIn(await smtp.next(reader.email, 'Reset your password'), '/auth/reset');
    expect((await check('post', '/api/auth/reset', json({ token: tokenOf(resetLink), new_password: 'a brand new passphrase for the sweep' }))).status).toBe(200);
    expect((await check('post', '/api/auth/reset', json({ token: tokenOf(resetLink), new_password: 'a brand new passphrase for the sweep' }))).status).toBe(400);

    // Articles (readers) and users (admins).
    const author = await createUser(t, { roles: { is_author: true } });
    const article = await t.app.services.articles.create({ id: author.id }, { title: 'Sweep', body: 'Swept.' });
    const { access_token: readerAccess } = await apiLogin(t, { username: reader.username, password: 'a brand new passphrase for the sweep' });
    expect((await check('get', '/api/articles?page=1', bearer(readerAccess))).status).toBe(200);
    expect((await check('get', '/api/articles?page=zero', bearer(readerAccess))).status).toBe(422);
    expect((await check('get', `/api/articles/${article.id}`, bearer(readerAccess))).status).toBe(200);
    expect((await check('get', '/api/articles/99999999', bearer(readerAccess))).status).toBe(404);
    expect((await check('get', '/api/articles')).status).toBe(401);
    const admin = await createUser(t, { roles: { is_admin: true } });
    const { access_token: adminAccess } = await apiLogin(t, admin);
    expect((await check('get', '/api/admin/users?q=sweep', bearer(adminAccess))).status).toBe(200);
    expect((await check('get', '/api/admin/users', bearer(readerAccess))).status).toBe(403);

    // The account is the user's (issue 18): activity, export, deletion.
    const leaving = await createUser(t);
    const { access_token: leavingAccess } = await apiLogin(t, leaving);
    expect((await check('get', '/api/me/activity?kind=sign_in', bearer(leavingAccess))).status).toBe(200);
    expect((await check('get', '/api/me/activity?kind=nonsense', bearer(leavingAccess))).status).toBe(422);
    expect((await check('get', '/api/me/activity')).status).toBe(401);
    expect((await check('get', '/api/me/export', bearer(leavingAccess))).status).toBe(200);
    expect((await check('delete', '/api/me', bearer(leavingAccess, { current_password: 'not it at all' }))).status).toBe(422);
    expect((await check('delete', '/api/me', bearer(leavingAccess, { current_password: leaving.password }))).status).toBe(204);
    expect((await check('get', '/api/me/export', bearer(leavingAccess))).status).toBe(401);
    const { access_token: lateAccess } = await apiLogin(t, author);
    t.clock.advance(11 * 60); // the password was typed more than ten minutes ago; the token still lives
    expect((await check('get', '/api/me/export', bearer(lateAccess))).status).toBe(403);

    // Throttled: past RATE_LIMIT_LOGIN_PER_ACCOUNT, with Retry-After.
    for (let i = 0; i < 3; i += 1) await check('post', '/api/auth/login', json({ login: 'sweep_target', password: 'wrong wrong wrong' }));
    expect((await check('post', '/api/auth/login', json({ login: 'sweep_target', password: 'wrong wrong wrong' }))).status).toBe(429);

    expect(seen.flatMap((answer) => answer.problems)).toEqual([]);
    // Every operation was answered with a 2xx at least once: the sweep leaves none out.
    const succeeded = new Set(seen.filter((answer) => answer.status < 300).map((answer) => {
      const op = validator.operationOf(answer.method, answer.path);
      return `${op?.method} ${op?.path}`;
    }));
    expect(validator.operations.map((op) => `${op.method} ${op.path}`).filter((op) => !succeeded.has(op))).toEqual([]);
  });

  it('would catch an answer that drifted from the description', () => {
    const drifted = { status: 200, headers: { 'content-type': 'application/json' }, text: '{}', body: { id: 'x', username: 'u', password_hash: '$2b$' } } as unknown as Response;
    expect(validator.problems('get', '/api/me', drifted)).toEqual([expect.stringContaining('must have required property')]);
    const undescribed = { status: 418, headers: {}, text: '', body: {} } as unknown as Response;
    expect(validator.problems('get', '/api/me', undescribed)).toEqual([expect.stringContaining('status 418 is not described')]);
  });
});
