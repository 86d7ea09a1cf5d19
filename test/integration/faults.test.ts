import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { isDatabaseUnavailable } from '../../src/db/availability';
import { createDb, Db } from '../../src/db/knex';
import { Browser } from '../helpers/browser';
import { userInput } from '../helpers/factories';
import { makeTestApp, TestApp } from '../helpers/make-app';

describe('isDatabaseUnavailable', () => {
  const error = (fields: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), fields);

  it.each([
    ['a refused connection', error({ code: 'ECONNREFUSED' })],
    ['a connection lost mid-query (mysql2)', error({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true })],
    ['any fatal mysql2 error', error({ code: 'SOMETHING_NEW', fatal: true })],
    ['a query on a closed mysql2 connection', error({}, "Can't add new command when connection is in closed state")],
    ['a pool that found no connection in time', Object.assign(new Error('Knex: Timeout acquiring a connection'), { name: 'KnexTimeoutError' })],
    ['the server shutting down', error({ code: 'ER_SERVER_SHUTDOWN' })],
    ['a read-only server refusing a write', error({ code: 'ER_OPTION_PREVENTS_STATEMENT' })],
    ['a locked SQLite database', error({ code: 'SQLITE_BUSY' })],
    ['an AggregateError from happy-eyeballs connect', new AggregateError([error({ code: 'ECONNREFUSED' })], 'connect failed')],
    ['a wrapped cause', error({ cause: error({ code: 'ETIMEDOUT' }) })],
  ])('recognises %s', (_name, candidate) => {
    expect(isDatabaseUnavailable(candidate)).toBe(true);
  });

  it.each([
    ['a unique violation', error({ code: 'ER_DUP_ENTRY' })],
    ['an SQL syntax error (a bug)', error({ code: 'ER_PARSE_ERROR' })],
    ['a constraint failure', error({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' })],
    ['a TypeError', new TypeError('undefined is not a function')],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('does not mistake %s for an outage', (_name, candidate) => {
    expect(isDatabaseUnavailable(candidate)).toBe(false);
  });
});

describe('a SQLite database locked by another writer', () => {
  let dir: string;
  let t: TestApp;
  let other: Db; // a second process's connection, as far as SQLite can tell (one pooled connection)
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-lock-'));
    t = await makeTestApp({ env: { DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}` } });
    other = createDb(`sqlite:${path.join(dir, 'db.sqlite')}`, dir);
  });
  afterAll(async () => {
    await other.destroy();
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 (JSON and the error page) once busy_timeout has passed, writes nothing, and works again when the lock is gone', async () => {
    const input = userInput();
    await other.raw('BEGIN EXCLUSIVE');
    try {
      const api = await request(t.app).post('/api/auth/register').send(input);
      expect(api.status).toBe(503);
      expect(api.body).toEqual({ error: { code: 'service_unavailable', message: expect.any(String) } });
      const browser = new Browser(t.app);
      const page = await browser.submit('/auth/register', { ...input, password_confirmation: input.password });
      expect(page.status).toBe(503);
      expect(page.text).toMatch(/temporarily unavailable/i);
      expect(page.text).not.toMatch(/SQLITE|database is locked|at \w+ \(/);
    } finally {
      await other.raw('ROLLBACK');
    }
    expect(await t.db('users').where({ username: input.username }).first()).toBeUndefined();
    expect((await request(t.app).post('/api/auth/register').send(input)).status).toBe(201);
  }, 30_000);
});
