import request from 'supertest';
import { Browser } from '../helpers/browser';
import { createUser, signIn, userInput } from '../helpers/factories';
import { fieldError, GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';

let t: TestApp;
beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
afterAll(() => t.close());

function encode(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** Valid form fields for each page, so that only the repeated field is wrong. */
const FORMS: [string, boolean, (user: { email: string; password: string }) => Record<string, string>][] = [
  ['/auth/register', false, () => { const u = userInput(); return { ...u, password_confirmation: u.password, first_name: 'Ada', second_name: 'L' }; }],
  ['/auth/login', false, () => ({ login: 'someone', password: 'some password', next: '/me' })],
  ['/me', true, (user) => ({ first_name: 'Ada', second_name: 'L', email: user.email, current_password: user.password })],
  ['/me/password', true, (user) => ({ current_password: user.password, new_password: 'a brand new passphrase', password_confirmation: 'a brand new passphrase' })],
];

async function browserFor(signedIn: boolean, path: string) {
  if (!signedIn) {
    const browser = new Browser(t.app);
    await browser.get(path);
    return { browser, user: { email: 'x@example.test', password: 'unused password' } };
  }
  const user = await createUser(t);
  const browser = await signIn(t, user);
  await browser.get('/me');
  return { browser, user };
}

describe.each(FORMS)('POST %s', (path, signedIn, valid) => {
  const fieldNames = Object.keys(valid({ email: 'x@example.test', password: 'p' }));

  it.each(fieldNames)('with %s repeated answers 422 with a message at that field and changes nothing', async (field) => {
    const { browser, user } = await browserFor(signedIn, path);
    const fields = valid(user);
    const before = await t.db('users').select('id', 'updated_at', 'password_hash').orderBy('id');
    const res = await browser.submit(path, `${encode(fields)}&${encode({ [field]: fields[field] ?? 'x' })}`);
    expect(res.status).toBe(422);
    expect(res.type).toBe('text/html');
    const shownAt = field === 'current_password' && path === '/me/password' ? 'password_current_password' : field;
    if (field !== 'next') expect(fieldError(res.text, shownAt)).toMatch(/must be a single text value/);
    expect(await t.db('users').select('id', 'updated_at', 'password_hash').orderBy('id')).toEqual(before);
  });

  it('with bracketed names (username[]=a, email[$ne]=) changes nothing and never answers 500', async () => {
    const { browser } = await browserFor(signedIn, path);
    const before = await t.db('users').select('id', 'email', 'first_name', 'password_hash').orderBy('id');
    const res = await browser.submit(path, 'username[]=a&email[$ne]=x&first_name[0]=b&login[]=c&password[]=d&new_password[]=e');
    expect(res.status).toBeLessThan(500);
    expect(await t.db('users').select('id', 'email', 'first_name', 'password_hash').orderBy('id')).toEqual(before);
  });
});

describe('other hostile form input', () => {
  it('more than 100 fields get 413, not 500', async () => {
    const browser = new Browser(t.app);
    await browser.get('/auth/login');
    const res = await browser.submit('/auth/login', Array.from({ length: 150 }, (_, i) => `f${i}=x`).join('&'));
    expect(res.status).toBe(413);
  });

  it('a name with <script> is stored as typed and rendered escaped everywhere it shows', async () => {
    const input = userInput();
    const browser = new Browser(t.app);
    const res = await browser.submit('/auth/register', { ...input, password_confirmation: input.password, first_name: '<script>alert(1)</script>' });
    expect(res.status).toBe(303);
    const me = await browser.get('/me');
    expect(me.text).not.toContain('<script>alert(1)');
    expect(me.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('a value with markup is escaped when a failed form is shown again', async () => {
    const res = await new Browser(t.app).submit('/auth/register', { username: '"><script>alert(1)</script>', email: '"><img src=x onerror=alert(1)>' });
    expect(res.status).toBe(422);
    expect(res.text).not.toContain('<script>alert(1)');
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).toContain('&#34;&gt;&lt;script&gt;');
  });

  it('a JSON cookie ("j:" prefix) or a garbage cookie is ignored, not crashed on', async () => {
    for (const cookie of ['access_token=j%3A%7B%22a%22%3A1%7D', 'refresh_token=j%3A%5B%5D', 'gatehouse.flash=s%3Agarbage', 'gatehouse.csrf=%E0%A4%A']) {
      const res = await request(t.app).get('/me').set('Cookie', cookie);
      expect(res.status).toBe(303);
    }
  });

  it('repeated query parameters on a page are not a 500', async () => {
    const res = await request(t.app).get('/auth/login?next=%2Fme&next=%2F%2Fevil.test');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<input type="hidden" name="next" value="">');
  });
});
