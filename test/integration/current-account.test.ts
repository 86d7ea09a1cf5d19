import request from 'supertest';
import * as Sessions from '../../src/models/refresh-session.model';
import * as Users from '../../src/models/user.model';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn, UserFixture } from '../helpers/factories';
import { GENEROUS_LIMITS, inputValue } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { linkIn, startSmtpServer, TestSmtp } from '../helpers/smtp';

/**
 * The signed-in user's own pages (/me, GET /api/me) are rendered from the row the revocation
 * check read (access-check.ts): no query of their own while that answer is under a second old,
 * and never stale after a change made by this process.
 */
let smtp: TestSmtp;
let t: TestApp;
beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await makeTestApp({ env: { ...GENEROUS_LIMITS, SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await t.app.services.outbox.drain();
  await t.close();
  await smtp.close();
});

/** Counts the SQL statements the app sends while `action` runs. */
async function queriesDuring(action: () => Promise<unknown>): Promise<string[]> {
  await t.app.services.outbox.drain(); // mail from earlier steps goes out before statements are counted
  const seen: string[] = [];
  const listener = (query: { sql: string }) => seen.push(query.sql);
  t.db.on('query', listener);
  try {
    await action();
  } finally {
    t.db.removeListener('query', listener);
  }
  return seen;
}

async function signedIn(): Promise<{ user: UserFixture; browser: Browser }> {
  const user = await createUser(t, { first_name: 'Grace' });
  return { user, browser: await signIn(t, user) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the hot path', () => {
  it('renders /me again without a query: the first view reads the user once, the next one reads nothing', async () => {
    const { browser } = await signedIn();
    const first = await queriesDuring(() => browser.get('/me'));
    expect(first.length).toBe(1);
    expect(first[0]).toMatch(/from [`"]users[`"]/);
    let page = '';
    const again = await queriesDuring(async () => { page = (await browser.get('/me')).text; });
    expect(again).toEqual([]);
    expect(page).toContain('<h1>Grace</h1>');
  });

  it('answers GET /api/me from the same read', async () => {
    const user = await createUser(t, { first_name: 'Ada' });
    const { access_token: token } = await apiLogin(t, user);
    const bearer = () => request(t.app).get('/api/me').set('Authorization', `Bearer ${token}`);
    expect((await queriesDuring(bearer)).length).toBe(1);
    let body: Record<string, unknown> = {};
    expect(await queriesDuring(async () => { body = (await bearer()).body; })).toEqual([]);
    expect(body).toMatchObject({ id: user.id, username: user.username, first_name: 'Ada' });
  });
});

describe('changes made by this process show at once', () => {
  it('new names', async () => {
    const { user, browser } = await signedIn();
    await browser.get('/me');
    await browser.submit('/me', { first_name: 'Ada', second_name: 'Lovelace', email: user.email });
    const page = (await browser.get('/me')).text;
    expect(page).toContain('<h1>Ada</h1>');
    expect(inputValue(page, 'second_name')).toBe('Lovelace');
  });

  it('a pending email change, then the confirmed address', async () => {
    const { user, browser } = await signedIn();
    await browser.get('/me');
    // The email alone: no name changes, so only the email-change request itself can drop the cache.
    expect((await browser.submit('/me', { email: 'moved-here@example.test', current_password: user.password })).status).toBe(303);
    expect((await browser.get('/me')).text).toContain('Pending change to <strong>moved-here@example.test</strong>');

    const link = linkIn(await smtp.next('moved-here@example.test', 'Confirm your new email address'), '/auth/verify');
    expect((await new Browser(t.app).get(link)).status).toBe(200);
    const page = (await browser.get('/me')).text;
    expect(page).not.toContain('Pending change');
    expect(inputValue(page, 'email')).toBe('moved-here@example.test');
  });
});

describe('a change made elsewhere (another instance, the database itself)', () => {
  it('shows within a second', async () => {
    const { user, browser } = await signedIn();
    await browser.get('/me');
    // Written behind the app's back, as another instance would: this process is not told.
    await Users.updateUser(t.db, user.internalId, { first_name: 'Hopper' }, t.clock.now());
    await sleep(1100);
    expect((await browser.get('/me')).text).toContain('<h1>Hopper</h1>');
  });
});

describe('a change that overtakes a read in flight', () => {
  it('is not hidden by that read: what the read found is not kept', async () => {
    const { user, browser } = await signedIn();
    const { access_token: access } = await apiLogin(t, user);
    const claims = t.app.services.tokens.verifyAccessToken(access);
    const sessions = t.app.services.sessions;

    // Nothing cached; the read starts, a change is announced while it waits on the database, then the read ends.
    await sessions.forgetCachedState(user.internalId);
    const inFlight = sessions.checkAccess(claims);
    await sessions.forgetCachedState(user.internalId);
    expect(await inFlight).toBe('ok');

    // Signed out behind the app's back: only a fresh read can see it, so none may be cached.
    await Sessions.revokeFamily(t.db, claims.sid, 'test', t.clock.now(), user.internalId);
    expect(await sessions.checkAccess(claims)).toBe('revoked');
    expect((await browser.get('/me')).status).toBe(200); // the other sign-in is untouched
  });
});
