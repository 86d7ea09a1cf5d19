import request from 'supertest';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn, UserFixture } from '../helpers/factories';
import { auditEventsOf, fieldError, GENEROUS_LIMITS, userRow } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { linkIn, startSmtpServer, TestSmtp } from '../helpers/smtp';

const CONFIRM_NEW = 'Confirm your new email address';
const NOTICE = 'Your email address is being changed';
const IN_USE = 'Someone tried to use this email address';

let smtp: TestSmtp;
let t: TestApp;
beforeAll(async () => { smtp = await startSmtpServer(); });
afterAll(() => smtp.close());
beforeEach(async () => { t = await makeTestApp({ env: { ...GENEROUS_LIMITS, SMTP_URL: smtp.url } }); });
afterEach(async () => {
  await t.app.services.outbox.drain();
  await t.close();
});

async function signedIn(): Promise<{ user: UserFixture; browser: Browser }> {
  const user = await createUser(t);
  const browser = await signIn(t, user);
  await browser.get('/me');
  return { user, browser };
}

function changeEmail(browser: Browser, user: UserFixture, email: string, password = user.password) {
  return browser.submit('/me', { first_name: '', second_name: '', email, current_password: password });
}

/** Pages differ only in their CSRF token and the addresses shown. */
const normalise = (html: string, ...addresses: string[]) =>
  addresses.reduce((text, address) => text.split(address).join('<address>'), html)
    .replace(/(name="_csrf" value=|name="csrf-token" content=)"[^"]*"/g, '$1""')
    .replace(/user_[0-9a-f]{8}/g, '<user>');

describe('POST /me with a new email address', () => {
  it('keeps the old address until the link sent to the new one is followed; the old one is told', async () => {
    const { user, browser } = await signedIn();
    const res = await changeEmail(browser, user, 'Fresh.Address@Example.test');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/me');

    expect((await userRow(t, { id: user.internalId })).email).toBe(user.email);
    const me = await browser.get('/me');
    expect(me.text).toContain('Pending change to <strong>fresh.address@example.test</strong>');

    const notice = await smtp.next(user.email, NOTICE);
    expect(notice.text).toContain('fresh.address@example.test');
    expect(notice.text).not.toContain('/auth/verify');
    const link = linkIn(await smtp.next('fresh.address@example.test', CONFIRM_NEW), '/auth/verify');

    const done = await new Browser(t.app).get(link);
    expect(done.status).toBe(200);
    expect(done.text).toContain('Your email address is now fresh.address@example.test.');
    const row = await userRow(t, { id: user.internalId });
    expect(row.email).toBe('fresh.address@example.test');
    expect(Boolean(row.is_verified)).toBe(true);
    expect(await auditEventsOf(t, user.internalId)).toEqual(expect.arrayContaining(['email_change_requested', 'email_changed']));
    expect((await browser.get('/me')).text).not.toContain('Pending change');
    expect((await new Browser(t.app).get(link)).status).toBe(400);
  });

  it('answers a taken address exactly as a free one, and sends the taken address a notice, not a link', async () => {
    const owner = await createUser(t);
    const first = await signedIn();
    const second = await signedIn();
    const free = await changeEmail(first.browser, first.user, 'free-one@example.test');
    const taken = await changeEmail(second.browser, second.user, owner.email);
    expect(taken.status).toBe(free.status);
    expect(taken.headers.location).toBe(free.headers.location);
    expect(taken.text).toBe(free.text);
    const freePage = await first.browser.get('/me');
    const takenPage = await second.browser.get('/me');
    expect(normalise(takenPage.text, second.user.email, owner.email)).toBe(normalise(freePage.text, first.user.email, 'free-one@example.test'));

    const inUse = await smtp.next(owner.email, IN_USE);
    expect(inUse.text).toContain('already belongs to a Gatehouse account, so nothing was changed');
    expect(inUse.text).not.toContain('/auth/verify');
    expect(inUse.text).not.toContain(second.user.username);
    expect(await smtp.next(second.user.email, NOTICE)).toBeDefined();
    await t.app.services.outbox.drain();
    expect(smtp.mailsTo(owner.email).filter((mail) => mail.subject === CONFIRM_NEW)).toHaveLength(0);

    expect((await userRow(t, { id: second.user.internalId })).email).toBe(second.user.email);
    expect((await userRow(t, { id: owner.internalId })).email).toBe(owner.email);
  });

  it('refuses a wrong current password with 422 at the field and sends nothing', async () => {
    const { user, browser } = await signedIn();
    const res = await changeEmail(browser, user, 'wrong-pw@example.test', 'not my password at all');
    expect(res.status).toBe(422);
    expect(fieldError(res.text, 'current_password')).toBe('Your current password is not correct.');
    await t.app.services.outbox.drain();
    expect(smtp.mailsTo('wrong-pw@example.test')).toHaveLength(0);
    expect(smtp.mailsTo(user.email).filter((mail) => mail.subject === NOTICE)).toHaveLength(0);
  });

  it('voids links mailed to the old address (verification and reset) once the change is confirmed', async () => {
    const { user, browser } = await signedIn();
    const verifyOld = linkIn(await smtp.next(user.email, 'Confirm your email address'), '/auth/verify');
    await new Browser(t.app).submit('/auth/forgot', { email: user.email }, '/auth/forgot');
    const resetOld = linkIn(await smtp.next(user.email, 'Reset your password'), '/auth/reset');
    await changeEmail(browser, user, 'moved@example.test');
    await new Browser(t.app).get(linkIn(await smtp.next('moved@example.test', CONFIRM_NEW), '/auth/verify'));
    expect((await new Browser(t.app).get(verifyOld)).status).toBe(400);
    expect((await new Browser(t.app).get(resetOld)).status).toBe(400);
  });

  it('changes nothing if the address was taken between the request and the click: 409 on the link page', async () => {
    const { user, browser } = await signedIn();
    await changeEmail(browser, user, 'contested@example.test');
    const link = linkIn(await smtp.next('contested@example.test', CONFIRM_NEW), '/auth/verify');
    await createUser(t, { email: 'contested@example.test' });
    const res = await new Browser(t.app).get(link);
    expect(res.status).toBe(409);
    expect(res.text).toContain('That address now belongs to another account');
    expect((await userRow(t, { id: user.internalId })).email).toBe(user.email);
  });

  it('is throttled per user like the resend button: a second change within a minute gets 429', async () => {
    const { user, browser } = await signedIn();
    expect((await changeEmail(browser, user, 'one@example.test')).status).toBe(303);
    await browser.get('/me');
    const res = await changeEmail(browser, user, 'two@example.test');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBeDefined();
  });

  it('PATCH /api/me requests the change the same way: the current address stays until confirmed', async () => {
    const user = await createUser(t);
    const { access_token: token } = await apiLogin(t, user);
    const res = await request(t.app).patch('/api/me').set('Authorization', `Bearer ${token}`)
      .send({ email: 'api-new@example.test', current_password: user.password });
    expect(res.status).toBe(200);
    expect(res.body.email).toBe(user.email);
    expect(await t.app.services.verification.pendingEmail(user.id)).toBe('api-new@example.test');
    await smtp.next('api-new@example.test', CONFIRM_NEW);
  });
});
