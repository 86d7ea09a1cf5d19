import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { Request, Response } from 'express';
import { ConfigError, loadConfig } from '../../src/config/env';
import { createDevMailController } from '../../src/controllers/dev-mail.controller';
import { NotFoundError } from '../../src/errors/app-error';
import type { AppContext } from '../../src/types/context';
import { Browser } from '../helpers/browser';
import { createUser, userInput } from '../helpers/factories';
import { GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp, TEST_DATA_KEY, TestApp } from '../helpers/make-app';
import { linkIn, startSmtpServer } from '../helpers/smtp';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, os.tmpdir(), { requireKeyFiles: false });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`configuration was accepted: ${JSON.stringify(env)}`);
}

const PRODUCTION = { NODE_ENV: 'production', JWT_ALGORITHM: 'ES256', APP_URL: 'https://accounts.example.test', SMTP_URL: 'smtp://mail.example.test:587', DATA_ENCRYPTION_KEY: TEST_DATA_KEY };

describe('mail configuration', () => {
  it('defaults: links to http://HOST:PORT, outbox under ./data/outbox, Gatehouse <no-reply@localhost>, verification not required', () => {
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '4000' }, '/srv/gatehouse');
    expect(config.appUrl).toBe('http://127.0.0.1:4000');
    expect(config.mail).toEqual({ smtpUrl: undefined, from: 'Gatehouse <no-reply@localhost>', outboxDir: '/srv/gatehouse/data/outbox', retryForSeconds: 3600 });
    expect(config.accounts.requireVerifiedEmail).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0' }, '/srv').appUrl).toBe('http://localhost:3000');
    expect(loadConfig({ APP_URL: 'https://id.example.test/' }, '/srv').appUrl).toBe('https://id.example.test');
  });

  it('production refuses to start without SMTP_URL or APP_URL, or with an http APP_URL: one message each', () => {
    expect(problemsOf({ ...PRODUCTION, SMTP_URL: '' })).toEqual([expect.stringMatching(/^SMTP_URL is required in production/)]);
    expect(problemsOf({ ...PRODUCTION, APP_URL: '' })).toEqual([expect.stringMatching(/^APP_URL is required in production/)]);
    expect(problemsOf({ ...PRODUCTION, APP_URL: 'http://accounts.example.test' })).toEqual(['APP_URL must start with https:// in production']);
    expect(loadConfig(PRODUCTION, os.tmpdir(), { requireKeyFiles: false }).mail.smtpUrl).toBe('smtp://mail.example.test:587');
  });

  it('refuses malformed values, naming the variable and never echoing an SMTP password', () => {
    const problems = problemsOf({
      SMTP_URL: 'http://user:s3cret-pass@mail.example.test', APP_URL: 'ftp://x', MAIL_FROM: 'nobody', REQUIRE_VERIFIED_EMAIL: 'yes',
    });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).not.toContain('s3cret-pass');
    for (const name of ['SMTP_URL', 'APP_URL', 'MAIL_FROM', 'REQUIRE_VERIFIED_EMAIL']) {
      expect(problems.filter((problem) => problem.startsWith(name))).toHaveLength(1);
    }
    expect(problemsOf({ MAIL_FROM: 'Gatehouse <a@b.test>\r\nBcc: victim@example.test' })).toEqual([expect.stringMatching(/^MAIL_FROM/)]);
  });
});

describe('mail content', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let t: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await makeTestApp({ env: { ...GENEROUS_LIMITS, SMTP_URL: smtp.url, APP_URL: 'https://accounts.example.test', MAIL_FROM: 'Gatehouse Test <robot@example.test>' } });
  });
  afterAll(async () => {
    await t.app.services.outbox.drain();
    await t.close();
    await smtp.close();
  });

  it('builds absolute links from APP_URL, sends from MAIL_FROM, escapes HTML but not plain text', async () => {
    const input = userInput({ first_name: `<b>O'Brien</b> & Co` });
    const res = await new Browser(t.app).submit('/auth/register', { ...input, password_confirmation: input.password });
    expect(res.status).toBe(303);
    const mail = await smtp.next(input.email, 'Confirm your email address');
    expect(mail.from).toBe('Gatehouse Test <robot@example.test>');
    expect(mail.text).toMatch(/https:\/\/accounts\.example\.test\/auth\/verify\?token=[A-Za-z0-9_-]{43}/);
    expect(mail.html).toMatch(/href="https:\/\/accounts\.example\.test\/auth\/verify\?token=[A-Za-z0-9_-]{43}"/);
    expect(mail.text).toContain(`Hello <b>O'Brien</b> & Co,`);
    expect(mail.html).toContain('Hello &lt;b&gt;O&#39;Brien&lt;/b&gt; &amp; Co,');
    expect(linkIn(mail, '/auth/verify')).toMatch(/^\/auth\/verify\?token=/);
  });
});

describe('when the SMTP server does not answer', () => {
  it('registration and forgot-password still answer 303 while the mail waits in the background', async () => {
    const sockets = new Set<net.Socket>();
    let hangUp = false;
    const silent = net.createServer((socket) => {
      if (hangUp) socket.destroy();
      else sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const { port } = silent.address() as net.AddressInfo;
    const t = await makeTestApp({ env: { ...GENEROUS_LIMITS, SMTP_URL: `smtp://127.0.0.1:${port}` } });
    try {
      const input = userInput();
      const res = await new Browser(t.app).submit('/auth/register', { ...input, password_confirmation: input.password });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/me');
      const forgot = await new Browser(t.app).submit('/auth/forgot', { email: input.email }, '/auth/forgot');
      expect(forgot.status).toBe(303);

      let settled = false;
      const idle = t.app.services.outbox.drain().then(() => { settled = true; });
      await new Promise(setImmediate);
      expect(settled).toBe(false); // the server never sent its greeting: the mails are still queued
      expect(sockets.size).toBeGreaterThan(0);
      hangUp = true;
      for (const socket of sockets) socket.destroy();
      await idle; // the failures are logged, and nothing else happens
    } finally {
      await t.close();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('the development outbox and GET /dev/mail', () => {
  let outboxDir: string;
  let t: TestApp;
  beforeAll(async () => {
    outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-outbox-test-'));
    t = await makeTestApp({ env: { ...GENEROUS_LIMITS, MAIL_OUTBOX_DIR: outboxDir } });
  });
  afterAll(async () => {
    await t.app.services.outbox.drain();
    await t.close();
    fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  it('writes each mail to a file, lists it newest first, and shows its text, links and HTML', async () => {
    const user = await createUser(t, { first_name: 'Outbox' });
    await t.app.services.outbox.drain();
    const files = fs.readdirSync(outboxDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{13}-[0-9a-f]{8}\.json$/);

    const index = await request(t.app).get('/dev/mail');
    expect(index.status).toBe(200);
    expect(index.text).toContain(user.email);
    const id = /href="\/dev\/mail\/(\d{13}-[0-9a-f]{8})"/.exec(index.text)?.[1];
    expect(id).toBe(files[0]!.slice(0, -5));

    const show = await request(t.app).get(`/dev/mail/${id}`);
    expect(show.status).toBe(200);
    expect(show.text).toContain('Hello Outbox,');
    const link = /<a href="(http:\/\/127\.0\.0\.1:3000\/auth\/verify\?token=[^"]+)">/.exec(show.text)?.[1];
    expect(link).toBeDefined();
    expect((await request(t.app).get(new URL(link!).pathname + new URL(link!).search)).status).toBe(200);

    const html = await request(t.app).get(`/dev/mail/${id}/html`);
    expect(html.status).toBe(200);
    expect(html.headers['content-security-policy']).toContain("default-src 'none'");
    expect(html.headers['content-security-policy']).toContain('sandbox');
    expect(html.text).toContain('Confirm my email address');
  });

  it('answers 404 for an id that is not one, and to a request from another machine', async () => {
    expect((await request(t.app).get('/dev/mail/..%2F..%2Fetc%2Fpasswd')).status).toBe(404);
    expect((await request(t.app).get('/dev/mail/1234567890123-deadbeef')).status).toBe(404);
    const { onlyFromThisMachine } = createDevMailController({ config: t.config, services: t.app.services } as unknown as AppContext);
    const next = jest.fn();
    expect(() => onlyFromThisMachine({ socket: { remoteAddress: '192.0.2.7' } } as unknown as Request, {} as Response, next)).toThrow(NotFoundError);
    onlyFromThisMachine({ socket: { remoteAddress: '::1' } } as unknown as Request, {} as Response, next);
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('is not mounted in production', async () => {
    const prod = await makeTestApp({ env: { ...PRODUCTION, BCRYPT_COST: '10', MAIL_OUTBOX_DIR: outboxDir } });
    try {
      expect((await request(prod.app).get('/dev/mail')).status).toBe(404);
      expect((await request(prod.app).get(`/dev/mail/${fs.readdirSync(outboxDir)[0]!.slice(0, -5)}`)).status).toBe(404);
    } finally {
      await prod.close();
    }
  });
});
