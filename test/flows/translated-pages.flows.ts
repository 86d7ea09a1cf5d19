import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { SUPPORTED_LANGUAGES, translator } from '../../src/lib/i18n';
import * as Outbox from '../../src/models/outbox.model';
import * as Users from '../../src/models/user.model';
import { listOutbox, OutboxMail } from '../../src/services/mail-outbox';
import { Browser } from '../helpers/browser';
import { createUser, signIn, userInput, UserFixture } from '../helpers/factories';
import { errorEnvelope } from '../helpers/http';
import type { TestApp } from '../helpers/make-app';
import { englishLeftovers, htmlLang, knownEnglish, rawKeysIn } from '../helpers/translations';

/**
 * The admin, article, error and dev-outbox pages, the mails and the API's errors in every
 * language (docs/i18n.md), written once and run on SQLite (test/integration/translated-pages.test.ts)
 * and on MariaDB (test/mysql/translated-pages.test.ts). A page "in ru" must say `<html lang="ru">`,
 * show no translation key and none of our English strings that Russian translates.
 */
export const TRANSLATED_PAGES_ENV = {
  RATE_LIMIT_AUTH_PER_IP: '100000',
  RATE_LIMIT_REGISTER_PER_IP: '100000',
  // One wrong password per account and address, then 429: the throttled page in each language.
  RATE_LIMIT_LOGIN_PER_ACCOUNT: '1',
};

const TRANSLATED = SUPPORTED_LANGUAGES.filter((language) => language !== 'en');

/** A few sentences as a Russian, Spanish or Chinese reader sees them: the files really hold translations. */
const SAMPLES: Record<string, { notFound: string; forbidden: string; audit: string; articles: string; mailSubject: string }> = {
  ru: { notFound: 'Страница не найдена', forbidden: 'У вас нет прав на это действие', audit: 'Журнал аудита', articles: 'Статьи', mailSubject: 'Подтвердите адрес электронной почты' },
  es: { notFound: 'Página no encontrada', forbidden: 'No tienes permiso para realizar esta operación', audit: 'Registro de auditoría', articles: 'Artículos', mailSubject: 'Confirma tu dirección de correo electrónico' },
  'zh-CN': { notFound: '找不到页面', forbidden: '您无权执行此操作', audit: '审计日志', articles: '文章', mailSubject: '请确认您的电子邮箱地址' },
};

/** What every page in `language` must be. */
function expectInLanguage(res: Pick<request.Response, 'headers' | 'text'>, language: string): void {
  expect(res.headers['content-language']).toBe(language);
  expect(htmlLang(res.text)).toBe(language);
  expect(rawKeysIn(res.text)).toEqual([]);
  if (language !== 'en') expect(englishLeftovers(res.text, language)).toEqual([]);
}

/** The footer's switcher, as a person uses it: the choice goes into the cookie (and the account, when signed in). */
async function switchTo(browser: Browser, language: string): Promise<void> {
  await browser.get('/');
  const res = await browser.submit('/language', { lang: language, next: '/' });
  expect(res.status).toBe(303);
}

export function defineTranslatedPagesFlows(setup: (env: Record<string, string>) => Promise<TestApp>): void {
  let t: TestApp;
  let outboxDir: string;
  let admin: UserFixture;
  let author: UserFixture;
  let reader: UserFixture;
  let articleId: string;

  beforeAll(async () => {
    outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-i18n-outbox-'));
    t = await setup({ ...TRANSLATED_PAGES_ENV, MAIL_OUTBOX_DIR: outboxDir });
    admin = await createUser(t, { roles: { is_admin: true } });
    author = await createUser(t, { roles: { is_author: true } });
    reader = await createUser(t);
    const writer = await signIn(t, author);
    await writer.get('/articles/new');
    const created = await writer.submit('/articles', { title: 'Gatehouse 2026', body: 'Lorem ipsum dolor sit amet.\n\nConsectetur adipiscing elit.' }, '/articles/new');
    expect(created.status).toBe(303);
    articleId = String(created.headers.location).split('/').pop()!;
    await signIn(t, reader); // a session and audit events of the reader's, for the admin's user page
  });
  afterAll(async () => {
    await t.app.services.outbox.drain();
    await t.close();
    fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  describe.each(SUPPORTED_LANGUAGES)('in %s', (language) => {
    it('the admin pages (dashboard, users, a user, audit log, an empty search) are wholly in the language', async () => {
      const browser = await signIn(t, admin);
      await switchTo(browser, language);
      for (const page of ['/admin', '/admin/users', `/admin/users/${reader.id}`, '/admin/audit', '/admin/audit?user=nobody_at_all', '/admin/users?q=nobody_at_all']) {
        const res = await browser.get(page);
        expect([page, res.status]).toEqual([page, 200]);
        expectInLanguage(res, language);
      }
      if (language !== 'en') expect((await browser.get('/admin/audit')).text).toContain(`<h1>${SAMPLES[language]!.audit}</h1>`);
      // The reader's session, opened by a Chrome on Linux: the device named in the page's language.
      const device = translator(language)('common.device.browserOnSystem', { browser: 'Chrome', system: 'Linux' });
      expect((await browser.get(`/admin/users/${reader.id}`)).text).toContain(`<strong>${device}</strong>`);
      // A hand-made filter or page link is refused in the language too.
      const badEvent = await browser.get('/admin/audit?event=no_such_event');
      expect(badEvent.status).toBe(422);
      expectInLanguage(badEvent, language);
      expect(badEvent.text).toContain(translator(language)('admin.field.event'));
      const badCursor = await browser.get('/admin/audit?after=abc');
      expect(badCursor.status).toBe(422);
      expect(badCursor.text).toContain(translator(language)('validation.page.cursor'));
    });

    it('the article pages (list, article, new, edit) are wholly in the language', async () => {
      const browser = await signIn(t, author);
      await switchTo(browser, language);
      for (const page of ['/articles', `/articles/${articleId}`, '/articles/new', `/articles/${articleId}/edit`]) {
        const res = await browser.get(page);
        expect([page, res.status]).toEqual([page, 200]);
        expectInLanguage(res, language);
      }
      const list = await browser.get('/articles');
      if (language !== 'en') expect(list.text).toContain(`<h1>${SAMPLES[language]!.articles}</h1>`);
      // Dates in the page's own form: "7 дек. 2026 г.", "7 dic 2026", "2026年12月7日".
      const { created_at: created } = await t.db('articles').where({ id: Number(articleId) }).first();
      expect(list.text).toContain(new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(created)));
      // The form's messages, at their fields, in the language.
      const refused = await browser.submit('/articles', { title: '', body: 'x'.repeat(8_001) }, '/articles/new');
      expect(refused.status).toBe(422);
      expectInLanguage(refused, language);
      expect(refused.text).toContain(translator(language)('articles.validation.titleRequired'));
      expect(refused.text).toContain(translator(language)('articles.validation.bodyLength', { max: 8_000 }));
    });

    it('the error pages 403, 404 and 429 are in the language, with the message of the language', async () => {
      const tr = translator(language);
      const readerBrowser = await signIn(t, reader);
      await switchTo(readerBrowser, language);
      const forbidden = await readerBrowser.get('/admin');
      expect(forbidden.status).toBe(403);
      expectInLanguage(forbidden, language);
      expect(forbidden.text).toContain(tr('errors.message.forbidden'));
      if (language !== 'en') expect(forbidden.text).toContain(SAMPLES[language]!.forbidden);

      const missing = await request(t.app).get('/no/such/page').set('Accept-Language', language);
      expect(missing.status).toBe(404);
      expectInLanguage(missing, language);
      expect(missing.text).toContain(`<h1 id="error-title">${tr('errors.title.404')}</h1>`);
      if (language !== 'en') expect(missing.text).toContain(SAMPLES[language]!.notFound);

      const visitor = new Browser(t.app);
      await switchTo(visitor, language);
      const login = `nobody_${language.toLowerCase().replace('-', '_')}`;
      expect((await visitor.submit('/auth/login', { login, password: 'not the password' })).status).toBe(401);
      const throttled = await visitor.submit('/auth/login', { login, password: 'not the password' });
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      expectInLanguage(throttled, language);
      expect(throttled.text).toContain(tr('errors.title.429'));
      const minutes = Math.max(1, Math.ceil(Number(throttled.headers['retry-after']) / 60));
      expect(throttled.text).toContain(tr('throttle.help.retryIn', { count: minutes }));
    });

    it('the dev outbox pages are in the language, and so is the mail a guest asked for in it', async () => {
      const input = userInput();
      const registered = await request(t.app).post('/api/auth/register').set('Accept-Language', language)
        .send({ ...input, password_confirmation: input.password });
      expect(registered.status).toBe(201);
      await t.app.services.outbox.drain();
      const browser = new Browser(t.app);
      await switchTo(browser, language);
      const index = await browser.get('/dev/mail');
      expect(index.status).toBe(200);
      // The list shows every mail's subject, each in the language it was sent in: data, not the page's
      // words, so the subjects are left out of the look for English (the mail itself is checked below).
      expectInLanguage({ headers: index.headers, text: index.text.replace(/(<a href="\/dev\/mail\/[\w-]+">)[^<]*(<\/a>)/g, '$1$2') }, language);
      const id = new RegExp(`<td>${input.email}</td>\\s*<td><a href="/dev/mail/([0-9a-f-]+)">`).exec(index.text)?.[1];
      expect(id).toBeDefined();
      const show = await browser.get(`/dev/mail/${id}`);
      expect(show.status).toBe(200);
      expectInLanguage(show, language);
      expect(show.text).toContain(translator(language)('mail.verifyEmail.subject'));
    });

    it('an API error has the message of Accept-Language and the same code as in English', async () => {
      const tr = translator(language);
      const anonymous = await request(t.app).get('/api/me').set('Accept-Language', language);
      expect(anonymous.status).toBe(401);
      expect(errorEnvelope(anonymous)).toEqual({ code: 'unauthenticated', message: tr('api.authenticationRequired') });
      const unknown = await request(t.app).get('/api/no-such-thing').set('Accept-Language', language);
      expect(errorEnvelope(unknown)).toEqual({ code: 'not_found', message: tr('api.noSuchEndpoint') });
      const badJson = await request(t.app).post('/api/auth/login').set('Accept-Language', language).type('json').send('{"login": ');
      expect(errorEnvelope(badJson)).toEqual({ code: 'malformed_json', message: tr('errors.message.malformedJson') });
      expect(anonymous.headers['content-language']).toBe(language);
    });
  });

  describe('the checks themselves', () => {
    it('find English on an English page, and a raw key where one is printed', async () => {
      const english = await request(t.app).get('/no/such/page');
      expect(englishLeftovers(english.text, 'ru')).toEqual(expect.arrayContaining(['Page not found', 'Go to the home page']));
      expect(rawKeysIn('<p>errors.page.home</p><p>admin.users.count</p>')).toEqual(expect.arrayContaining(['errors.page.home', 'admin.users.count']));
      for (const language of TRANSLATED) expect(knownEnglish(language).length).toBeGreaterThan(100);
    });
  });

  describe('API errors in Russian', () => {
    it('keep their code: the same 401, 404 and 422 codes as in English, with Russian messages', async () => {
      for (const [method, url] of [['get', '/api/me'], ['get', '/api/nope']] as const) {
        const en = errorEnvelope(await request(t.app)[method](url).set('Accept-Language', 'en'));
        const ru = errorEnvelope(await request(t.app)[method](url).set('Accept-Language', 'ru'));
        expect(ru.code).toBe(en.code);
        expect(ru.message).not.toBe(en.message);
        expect(ru.message).toMatch(/[а-яё]/i);
      }
      const throttledLogin = { login: 'api_nobody_ru', password: 'not the password' };
      expect((await request(t.app).post('/api/auth/login').send(throttledLogin)).status).toBe(401);
      const throttled = await request(t.app).post('/api/auth/login').set('Accept-Language', 'ru').send(throttledLogin);
      expect(throttled.status).toBe(429);
      expect(errorEnvelope(throttled)).toEqual({ code: 'too_many_requests', message: 'Слишком много попыток. Подождите и попробуйте снова.' });
    });
  });

  describe('mails', () => {
    const mailTo = async (address: string): Promise<OutboxMail> => {
      await t.app.services.outbox.drain();
      const mail = (await listOutbox(outboxDir)).find((candidate) => candidate.to === address);
      if (!mail) throw new Error(`no mail to ${address}`);
      return mail;
    };

    it('a guest who registers in Spanish gets the verification mail in Spanish, its language kept in the outbox row', async () => {
      const input = userInput();
      const res = await request(t.app).post('/api/auth/register').set('Accept-Language', 'es-MX,es;q=0.9')
        .send({ ...input, password_confirmation: input.password });
      expect(res.status).toBe(201);
      const rows = (await Outbox.listOutboxRows(t.db)).filter((row) => row.kind === 'mail' && row.template === 'verify-email');
      const row = rows.find((candidate) => candidate.payload?.includes(`"${input.email}"`));
      expect(JSON.parse(row!.payload!).language).toBe('es');
      const mail = await mailTo(input.email);
      expect(mail.subject).toBe(SAMPLES.es!.mailSubject);
      expect(mail.html).toContain('<html lang="es">');
      expect(mail.text).toContain(`Hola, ${input.username}:`);
      expect(mail.text).toContain(`Confirma que ${input.email} es tu dirección de correo electrónico`);
      expect(englishLeftovers(mail.html, 'es')).toEqual([]);
    });

    it('a password reset asked for from a Chinese browser is mailed in the recipient\'s saved Russian', async () => {
      const user = await createUser(t, { first_name: 'Ivan' });
      await Users.updateUser(t.db, user.internalId, { language: 'ru' }, t.clock.now());
      const visitor = new Browser(t.app);
      await switchTo(visitor, 'zh-CN');
      expect((await visitor.submit('/auth/forgot', { email: user.email })).status).toBe(303);
      const mail = await mailTo(user.email);
      expect(mail.subject).toBe('Сброс пароля');
      expect(mail.html).toContain('<html lang="ru">');
      expect(mail.text).toContain('Здравствуйте, Ivan!');
      expect(mail.text).toContain(`Кто-то попросил сбросить пароль вашей учётной записи Gatehouse ${user.username}.`);
      expect(englishLeftovers(mail.html, 'ru')).toEqual([]);
    });

    it('a password reset for an account with no saved language is mailed in the language of the request', async () => {
      const user = await createUser(t, { first_name: 'Li' });
      const visitor = new Browser(t.app);
      await switchTo(visitor, 'zh-CN');
      expect((await visitor.submit('/auth/forgot', { email: user.email })).status).toBe(303);
      const mail = await mailTo(user.email);
      expect(mail.subject).toBe('重置您的密码');
      expect(mail.text).toContain('Li，您好：');
      expect(englishLeftovers(mail.html, 'zh-CN')).toEqual([]);
    });

    it('an email change is announced to both addresses in the account\'s saved language', async () => {
      const user = await createUser(t, { first_name: 'Marta' });
      await Users.updateUser(t.db, user.internalId, { language: 'es' }, t.clock.now());
      const fresh = userInput().email;
      await t.app.services.verification.requestEmailChange((await Users.findUserById(t.db, user.internalId))!, fresh, { ip: '127.0.0.1', userAgent: 'test', language: 'ru' });
      const confirm = await mailTo(fresh);
      expect(confirm.subject).toBe('Confirma tu nueva dirección de correo electrónico');
      const notice = await mailTo(user.email);
      expect(notice.subject).toBe('Se está cambiando tu dirección de correo electrónico');
      expect(notice.text).toContain(fresh);
    });
  });

  describe('plurals', () => {
    it('Russian counts take one, few or many by the number: 1 пользователь, 3 пользователя, 5 пользователей, 21 пользователь', () => {
      const ru = translator('ru');
      expect([1, 3, 5, 11, 21, 22, 25].map((count) => ru('admin.users.count', { count }))).toEqual([
        '1 пользователь', '3 пользователя', '5 пользователей', '11 пользователей', '21 пользователь', '22 пользователя', '25 пользователей',
      ]);
      expect(ru('admin.users.count', { count: 12345 })).toBe('12\u00a0345 пользователей');
      expect(translator('en')('articles.index.count', { count: 1 })).toBe('1 article');
      expect(translator('en')('articles.index.count', { count: 1234 })).toBe('1,234 articles');
      expect(translator('es')('admin.flash.sessionsRevoked', { count: 1 })).toContain('se ha revocado 1 token de sesión');
      expect(translator('zh-CN')('throttle.help.retryIn', { count: 3 })).toContain('3 分钟后');
    });

    it('the dashboard\'s nouns agree with its counts in Russian', async () => {
      const browser = await signIn(t, admin);
      await switchTo(browser, 'ru');
      const page = (await browser.get('/admin')).text;
      const forms = { one: 'пользователь', few: 'пользователя', many: 'пользователей', other: 'пользователя' };
      const shown = /id="stat-users">([\d\s\u00a0]+)<\/strong> ([^<\s]+)</.exec(page);
      const count = Number(shown![1]!.replace(/\D/g, ''));
      expect(shown![2]).toBe(forms[new Intl.PluralRules('ru').select(count) as keyof typeof forms]);
    });
  });
}
