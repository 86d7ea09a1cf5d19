import request from 'supertest';
import { Browser } from '../helpers/browser';
import { createUser, signIn, UserFixture } from '../helpers/factories';
import { auditEventsOf, GENEROUS_LIMITS, userRow } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { createScratchMysqlDatabase, describeMysql, ScratchDatabase } from '../helpers/mysql';
import { linkIn, startSmtpServer, TestSmtp, tokenOf } from '../helpers/smtp';

const NEW_PASSWORD = 'a brand new passphrase for gatehouse';

describeMysql('verification, reset and email change on MariaDB', () => {
  let scratch: ScratchDatabase;
  let smtp: TestSmtp;
  let t: TestApp;
  beforeAll(async () => {
    scratch = await createScratchMysqlDatabase();
    smtp = await startSmtpServer();
    t = await makeTestApp({ env: { ...GENEROUS_LIMITS, DATABASE_URL: scratch.url, SMTP_URL: smtp.url } });
  });
  afterAll(async () => {
    await t.app.services.outbox.drain();
    await t.close();
    await smtp.close();
    await scratch.drop();
  });

  async function resetLink(user: UserFixture): Promise<string> {
    await request(t.app).post('/api/auth/forgot').send({ email: user.email }).expect(202);
    return linkIn(await smtp.next(user.email, 'Reset your password'), '/auth/reset');
  }

  test('a verification link verifies once, and not after 24 hours', async () => {
    const user = await createUser(t);
    const link = linkIn(await smtp.next(user.email, 'Confirm your email address'), '/auth/verify');
    expect((await request(t.app).get(link)).status).toBe(200);
    expect((await request(t.app).get(link)).status).toBe(400);
    expect(Boolean((await userRow(t, { id: user.internalId })).is_verified)).toBe(true);

    const late = await createUser(t);
    const lateLink = linkIn(await smtp.next(late.email, 'Confirm your email address'), '/auth/verify');
    t.clock.advance(24 * 3600 + 1);
    expect((await request(t.app).get(lateLink)).status).toBe(400);
    expect(Boolean((await userRow(t, { id: late.internalId })).is_verified)).toBe(false);
  });

  test('a reset signs out other sessions; the link then dies, as does an older one and one past its hour', async () => {
    const user = await createUser(t);
    const other = await signIn(t, user);
    expect((await other.get('/me')).status).toBe(200);
    const older = await resetLink(user);
    const link = await resetLink(user);

    const browser = new Browser(t.app);
    await browser.get(link);
    const res = await browser.submit('/auth/reset', { token: tokenOf(link), new_password: NEW_PASSWORD, password_confirmation: NEW_PASSWORD });
    expect(res.status).toBe(303);
    expect((await browser.get('/me')).status).toBe(200);
    expect((await other.get('/me')).status).toBe(303);
    expect((await request(t.app).get(link)).status).toBe(400);
    expect((await request(t.app).get(older)).status).toBe(400);
    expect((await userRow(t, { id: user.internalId })).token_version).toBe(1);
    expect(await auditEventsOf(t, user.internalId)).toEqual(expect.arrayContaining(['password_reset_requested', 'password_reset']));

    const expired = await resetLink(user);
    t.clock.advance(3601);
    expect((await request(t.app).get(expired)).status).toBe(400);
  });

  test('five simultaneous uses of one reset link: exactly one sets the password', async () => {
    const user = await createUser(t);
    const token = tokenOf(await resetLink(user));
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) =>
      request(t.app).post('/api/auth/reset').send({ token, new_password: `${NEW_PASSWORD} ${i}` })));
    expect(results.map((res) => res.status).sort()).toEqual([200, 400, 400, 400, 400]);
    expect((await userRow(t, { id: user.internalId })).token_version).toBe(1);
  });

  test('an email change waits for its link; a taken address gets a notice; a race ends in 409', async () => {
    const owner = await createUser(t);
    const user = await createUser(t);
    const browser = await signIn(t, user);
    await browser.get('/me');
    expect((await browser.submit('/me', { email: owner.email.toUpperCase(), current_password: user.password })).status).toBe(303);
    expect((await smtp.next(owner.email, 'Someone tried to use this email address')).text).not.toContain('/auth/verify');
    expect((await userRow(t, { id: user.internalId })).email).toBe(user.email);

    t.clock.advance(61);
    await browser.get('/me');
    expect((await browser.submit('/me', { email: 'maria-new@example.test', current_password: user.password })).status).toBe(303);
    await smtp.next(user.email, 'Your email address is being changed');
    const link = linkIn(await smtp.next('maria-new@example.test', 'Confirm your new email address'), '/auth/verify');
    expect((await browser.get('/me')).text).toContain('Pending change to <strong>maria-new@example.test</strong>');

    await createUser(t, { email: 'MARIA-NEW@example.test' });
    expect((await request(t.app).get(link)).status).toBe(409);
    expect((await userRow(t, { id: user.internalId })).email).toBe(user.email);
  });
});
