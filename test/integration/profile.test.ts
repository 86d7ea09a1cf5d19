import { Browser } from '../helpers/browser';
import { createUser, signIn, UserFixture } from '../helpers/factories';
import { auditEventsOf, fieldError, GENEROUS_LIMITS, inputValue, userRow } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';

let t: TestApp;
beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
afterAll(() => t.close());

async function signedIn(options: Parameters<typeof createUser>[1] = {}): Promise<{ user: UserFixture; browser: Browser }> {
  const user = await createUser(t, options);
  const browser = await signIn(t, user);
  await browser.get('/me');
  return { user, browser };
}

/** An email change is done either at once or once the link sent to the new address is followed. */
async function emailChangeRecorded(user: UserFixture, email: string): Promise<boolean> {
  if ((await userRow(t, { id: user.internalId })).email === email) return true;
  const pending = (t.app.services as { verification?: { pendingEmail(id: string): Promise<string | null> } }).verification;
  return pending !== undefined && (await pending.pendingEmail(user.id)) === email;
}

describe('GET /me', () => {
  it('shows the signed-in user', async () => {
    const { user, browser } = await signedIn({ first_name: 'Grace' });
    const res = await browser.get('/me');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>Grace</h1>');
    expect(res.text).toContain(`@${user.username}`);
    expect(res.text).toContain(user.email);
    expect(inputValue(res.text, 'first_name')).toBe('Grace');
  });

  it('renders names escaped', async () => {
    const { browser } = await signedIn({ first_name: '<script>alert(1)</script>' });
    const res = await browser.get('/me');
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.text).not.toContain('<script>alert(1)');
  });

  it('sends an anonymous visitor to the login page with next=/me', async () => {
    const res = await new Browser(t.app).get('/me');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/auth/login?next=%2Fme');
  });
});

describe('POST /me', () => {
  it('edits the names: 303 to /me with a flash, the row and an audit event', async () => {
    const { user, browser } = await signedIn();
    const res = await browser.submit('/me', { first_name: '  Ada ', second_name: 'Lovelace', email: user.email });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/me');
    expect((await browser.get('/me')).text).toContain('Your profile has been updated.');
    expect(await userRow(t, { id: user.internalId })).toMatchObject({ first_name: 'Ada', second_name: 'Lovelace', email: user.email });
    expect(await auditEventsOf(t, user.internalId)).toContain('profile_updated');
  });

  it('clears a name sent empty', async () => {
    const { user, browser } = await signedIn({ first_name: 'Ada' });
    await browser.submit('/me', { first_name: '', second_name: '', email: user.email });
    expect((await userRow(t, { id: user.internalId })).first_name).toBeNull();
  });

  it('refuses an email change without the current password: 422 at current_password, email unchanged', async () => {
    const { user, browser } = await signedIn();
    const res = await browser.submit('/me', { first_name: 'Ada', email: 'new-address@example.test' });
    expect(res.status).toBe(422);
    expect(fieldError(res.text, 'current_password')).toBe('Enter your current password to change your email address.');
    expect(inputValue(res.text, 'email')).toBe('new-address@example.test');
    expect(await emailChangeRecorded(user, 'new-address@example.test')).toBe(false);
  });

  it('refuses an email change with a wrong current password: 422, the password not echoed', async () => {
    const { user, browser } = await signedIn();
    const res = await browser.submit('/me', { email: 'new-address2@example.test', current_password: 'Wrong-Typed-Secret-77' });
    expect(res.status).toBe(422);
    expect(fieldError(res.text, 'current_password')).toBe('Your current password is not correct.');
    expect(res.text).not.toContain('Wrong-Typed-Secret-77');
    expect(await emailChangeRecorded(user, 'new-address2@example.test')).toBe(false);
  });

  it('accepts an email change with the right current password', async () => {
    const { user, browser } = await signedIn();
    const res = await browser.submit('/me', { email: 'New-Address3@Example.test', current_password: user.password });
    expect(res.status).toBe(303);
    expect(await emailChangeRecorded(user, 'new-address3@example.test')).toBe(true);
  });

  it('answers 422 at the field for an invalid email or a name over 50 characters', async () => {
    const { browser } = await signedIn();
    const res = await browser.submit('/me', { first_name: 'x'.repeat(51), email: 'not an email' });
    expect(res.status).toBe(422);
    expect(fieldError(res.text, 'first_name')).toMatch(/at most 50/);
    expect(fieldError(res.text, 'email')).toMatch(/valid email/);
  });

  it('ignores is_admin, is_author, is_active, username and token_version (no mass assignment)', async () => {
    const { user, browser } = await signedIn();
    const res = await browser.submit('/me', {
      email: user.email, first_name: 'Eve', is_admin: '1', is_author: '1', is_active: '0', username: 'root', token_version: '7',
    });
    expect(res.status).toBe(303);
    const row = await userRow(t, { id: user.internalId });
    expect(row).toMatchObject({ username: user.username, token_version: 0, first_name: 'Eve' });
    expect([Boolean(row.is_admin), Boolean(row.is_author), Boolean(row.is_active)]).toEqual([false, false, true]);
  });
});
