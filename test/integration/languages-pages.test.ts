import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { translator } from '../../src/lib/i18n';
import { Browser } from '../helpers/browser';
import { confirmIdentity, createUser, signIn, UserFixture } from '../helpers/factories';
import { errorEnvelope, fieldError, GENEROUS_LIMITS } from '../helpers/http';
import { makeTestApp, TestApp } from '../helpers/make-app';
import { codesOnPage, enableTotp, passwordStep, secretOnPage } from '../helpers/mfa';
import { totpCode } from '../helpers/totp';

/**
 * Every page of the home, auth and me sections, in every language but English: the right
 * <html lang>, no raw key, and none of the English sentences those sections translate (read
 * from locales/en.json, so a string added later is checked too).
 */
const LANGUAGES = ['ru', 'es', 'zh-CN'] as const;
const SECTIONS = ['common', 'nav', 'language', 'home', 'auth', 'me', 'validation'];
const ROOT = path.join(__dirname, '..', '..');

function flatten(object: Record<string, unknown>, prefix = ''): Record<string, string> {
  return Object.fromEntries(Object.entries(object).flatMap(([name, value]) => {
    const key = prefix ? `${prefix}.${name}` : name;
    return value && typeof value === 'object' ? Object.entries(flatten(value as Record<string, unknown>, key)) : [[key, String(value)]];
  }));
}

const locale = (language: string) => flatten(JSON.parse(fs.readFileSync(path.join(ROOT, 'locales', `${language}.json`), 'utf8')));
const en = locale('en');

/** English sentences of our sections that read differently in `language`: none may show on its pages. */
function englishLeftoversFor(language: string): string[] {
  const own = locale(language);
  return Object.entries(en)
    .filter(([key, text]) => SECTIONS.includes(key.split('.')[0] ?? '') && key !== 'language.self')
    // Whole sentences only: variables and markup split them, and short words could be a name.
    .map(([key, text]) => [key, text.replace(/<\/?strong>/g, '')] as const)
    .filter(([key, text]) => own[key] !== en[key] && !text.includes('{{') && text.length >= 6)
    .map(([, text]) => text);
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&#34;': '"', '&quot;': '"', '&#39;': "'" };
const decode = (text: string) => text.replace(/&(?:amp|lt|gt|quot|#34|#39);/g, (entity) => ENTITIES[entity] ?? entity);

/** What a reader sees or hears: text between tags, and the labels, alt texts and titles in attributes. */
function readableText(html: string): string {
  const withoutCode = html.replace(/<script[\s\S]*?<\/script>/g, ' ').replace(/<style[\s\S]*?<\/style>/g, ' ');
  const attributes = [...withoutCode.matchAll(/\s(?:aria-label|alt|title|placeholder)="([^"]*)"/g)].map((match) => match[1]);
  return decode(`${withoutCode.replace(/<[^>]+>/g, ' ')} ${attributes.join(' ')}`).replace(/\s+/g, ' ');
}

const RAW_KEY = /\b(?:common|nav|language|home|auth|me|validation|account|admin|articles|errors|mail|dev|throttle|api)\.[a-z][A-Za-z]*(?:\.[A-Za-z]+)*\b/;

/** `sentence` as a whole: "Cancel" is not in "Cancelar", nor "Password" in "1Password". */
function shows(text: string, sentence: string): boolean {
  const escaped = sentence.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u').test(text);
}

function expectInLanguage(html: string, language: string): void {
  expect(/<html lang="([^"]+)">/.exec(html)?.[1]).toBe(language);
  const text = readableText(html);
  expect(text.match(RAW_KEY)?.[0]).toBeUndefined();
  expect(englishLeftoversFor(language).filter((sentence) => shows(text, sentence))).toEqual([]);
}

let t: TestApp;
beforeAll(async () => { t = await makeTestApp({ env: GENEROUS_LIMITS }); });
afterAll(() => t.close());

/** A browser that chose `language` with the footer's switcher. */
async function browserIn(language: string, browser = new Browser(t.app)): Promise<Browser> {
  await browser.get('/');
  const res = await browser.submit('/language', { lang: language, next: '/' });
  expect(res.status).toBe(303);
  return browser;
}

describe.each(LANGUAGES)('in %s', (language) => {
  const text = locale(language);

  it.each([
    ['/', 200], ['/auth/login', 200], ['/auth/register', 200], ['/auth/logout', 200], ['/auth/forgot', 200],
    ['/auth/forgot/sent', 200], ['/auth/reset?token=nothing-like-a-token', 400], ['/auth/verify/resend', 200],
    ['/auth/verify?token=nothing-like-a-token', 400],
  ])('a visitor\'s %s is translated', async (page, status) => {
    const browser = await browserIn(language);
    const res = await browser.get(page);
    expect(res.status).toBe(status);
    expectInLanguage(res.text, language);
  });

  it('re-renders a failed registration with 422 and each message next to its field, in the language', async () => {
    const browser = await browserIn(language);
    await browser.get('/auth/register');
    const res = await browser.submit('/auth/register', { username: 'x', email: 'not-an-address', password: 'password123', password_confirmation: 'something else', first_name: '', second_name: '' });
    expect(res.status).toBe(422);
    expectInLanguage(res.text, language);
    expect(fieldError(res.text, 'username')).toBe(text['validation.username.format']);
    expect(fieldError(res.text, 'email')).toBe(text['validation.email.format']);
    expect(fieldError(res.text, 'password')).toBe(text['validation.password.common']);
    expect(fieldError(res.text, 'password_confirmation')).toBe(text['validation.password.confirmation']);
    expect(res.text).toContain(text['validation.summary']);
    // The typed values stay, the passwords never.
    expect(res.text).toContain('value="not-an-address"');
    expect(res.text).not.toContain('password123');
  });

  it('answers a wrong password with 401 and the one generic message, in the language', async () => {
    const user = await createUser(t);
    const browser = await browserIn(language);
    await browser.get('/auth/login');
    const res = await browser.submit('/auth/login', { login: user.username, password: 'not the password' });
    expect(res.status).toBe(401);
    expectInLanguage(res.text, language);
    expect(res.text).toContain(text['auth.errors.invalidCredentials']);
  });

  describe('signed in', () => {
    let user: UserFixture;
    let browser: Browser;
    beforeAll(async () => {
      user = await createUser(t, { first_name: 'Ana' });
      browser = await browserIn(language, await signIn(t, user));
    });

    it.each(['/', '/me', '/me/sessions', '/me/security', '/me/security/passkeys/new', '/me/confirm', '/auth/logout'])('%s is translated', async (page) => {
      const res = await browser.get(page);
      expect(res.status).toBe(200);
      expectInLanguage(res.text, language);
    });

    it('names the device on /me/sessions (its sign-out button too) and /me/activity in the language', async () => {
      // The Browser's User-Agent is a Chrome on Linux: "Chrome на Linux", "Chrome en Linux", "Linux 上的 Chrome".
      const tr = translator(language);
      const device = tr('common.device.browserOnSystem', { browser: 'Chrome', system: 'Linux' });
      expect(device).not.toBe('Chrome on Linux');
      const sessions = await browser.get('/me/sessions');
      expect(sessions.status).toBe(200);
      expect(sessions.text).toContain(`<td>${device} <span class="badge badge-reader">${text['me.sessions.thisDevice']}</span>`);
      expect(readableText(sessions.text)).toContain(tr('me.sessions.signOutThisDevice', { device }));
      expect(sessions.text).not.toContain('Chrome on Linux');
      const activity = await browser.get('/me/activity');
      expect(activity.status).toBe(200);
      expect(activity.text).toContain(`<td>${device}</td>`);
      expect(activity.text).not.toContain('Chrome on Linux');
    });

    it('refuses a broken page link of /me/activity with 422 and the message of the language', async () => {
      const broken = await browser.get('/me/activity?after=abc');
      expect(broken.status).toBe(422);
      expect(broken.headers['content-language']).toBe(language);
      expect(broken.text).toContain(text['validation.page.cursor']);
      expect(broken.text).not.toContain('This page link is not valid');
      const both = await browser.get('/me/activity?after=12&before=10');
      expect(both.status).toBe(422);
      expect(both.text).toContain(text['validation.page.bothCursors']);
    });

    it('keeps the profile\'s field message next to the field on a 422, and flashes the update in the language', async () => {
      await browser.get('/me');
      const refused = await browser.submit('/me', { first_name: 'Ana', second_name: '', email: 'nope', current_password: '', language });
      expect(refused.status).toBe(422);
      expectInLanguage(refused.text, language);
      expect(fieldError(refused.text, 'email')).toBe(text['validation.email.format']);

      const saved = await browser.submit('/me', { first_name: 'Ana', second_name: 'Li', email: user.email, current_password: '', language });
      expect(saved.status).toBe(303);
      const page = await browser.get('/me');
      expectInLanguage(page.text, language);
      expect(page.text).toContain(text['me.profile.updated']);
    });
  });

  it('translates the pages of the second factor: setup, recovery codes, the login\'s code prompt', async () => {
    const user = await createUser(t);
    const browser = await browserIn(language, await signIn(t, user));
    await confirmIdentity(browser, user.password);
    const setup = await browser.submit('/me/security/totp', {});
    expect([200, 303]).toContain(setup.status);
    const setupPage = setup.status === 303 ? await browser.get(String(setup.headers.location)) : setup;
    expectInLanguage(setupPage.text, language);
    const codes = await browser.submit('/me/security/totp/confirm', { code: totpCode(secretOnPage(setupPage.text), t.clock) });
    expect(codes.status).toBe(200);
    expect(codesOnPage(codes.text)).toHaveLength(10);
    expectInLanguage(codes.text, language);
    const file = /href="data:text\/plain;charset=utf-8;base64,([A-Za-z0-9+/=]+)"/.exec(codes.text)?.[1] ?? '';
    expect(Buffer.from(file, 'base64').toString('utf8').split('\n').slice(0, 2)).toEqual([
      text['me.recoveryCodes.fileTitle']!.replace('{{username}}', user.username),
      text['me.recoveryCodes.fileNote'],
    ]);
    t.clock.advance(30);
    const security = await browser.get('/me/security');
    expectInLanguage(security.text, language);
    expect(security.text).toContain(text['me.security.totp.onText']);

    const other = await createUser(t);
    await enableTotp(t, other);
    const { browser: prompt } = await passwordStep(t, other, await browserIn(language));
    const step = await prompt.get('/auth/mfa');
    expect(step.status).toBe(200);
    expectInLanguage(step.text, language);
  });

  it('answers API errors in the Accept-Language language with the code unchanged', async () => {
    const english = await request(t.app).post('/api/auth/login').send({ login: 'nobody-here', password: 'whatever it is' });
    const translated = await request(t.app).post('/api/auth/login').set('Accept-Language', language).send({ login: 'nobody-here', password: 'whatever it is' });
    expect(translated.status).toBe(english.status);
    expect(errorEnvelope(translated).code).toBe(errorEnvelope(english).code);
    expect(errorEnvelope(translated).message).toBe(text['auth.errors.invalidCredentials']);

    const invalid = await request(t.app).post('/api/auth/register').set('Accept-Language', language).send({ username: 'x', email: 'bad', password: 'password123' });
    expect(invalid.status).toBe(422);
    expect(errorEnvelope(invalid).code).toBe('validation_failed');
    expect(errorEnvelope(invalid).message).toBe(text['validation.summary']);
    expect(errorEnvelope(invalid).fields).toEqual({
      username: text['validation.username.format'],
      email: text['validation.email.format'],
      password: text['validation.password.common'],
    });
  });
});

describe('the English reference', () => {
  it('is what a visitor without a preference gets, and its leftover list is what the other languages are checked against', async () => {
    const res = await request(t.app).get('/auth/register');
    expect(/<html lang="([^"]+)">/.exec(res.text)?.[1]).toBe('en');
    // The check above would catch these: they are on the English page and in the list.
    const shown = englishLeftoversFor('ru').filter((sentence) => shows(readableText(res.text), sentence));
    expect(shown).toEqual(expect.arrayContaining([en['auth.register.title'], en['auth.register.usernameHint'], en['nav.footer.tagline']]));
  });
});
