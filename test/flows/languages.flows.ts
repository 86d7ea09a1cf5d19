import request from 'supertest';
import * as Users from '../../src/models/user.model';
import { Browser } from '../helpers/browser';
import { apiLogin, createUser, signIn, UserFixture } from '../helpers/factories';
import { errorEnvelope, setCookie } from '../helpers/http';
import type { TestApp } from '../helpers/make-app';

/**
 * Which language a response is in (docs/i18n.md), written once and run on SQLite
 * (test/integration/languages.test.ts) and on MariaDB (test/mysql/languages.test.ts): the saved
 * preference, then the `lang` cookie, then Accept-Language; the switcher; the profile's choice;
 * the API's messages.
 */
export const LANGUAGES_TEST_ENV = { RATE_LIMIT_AUTH_PER_IP: '100000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000' };

const htmlLang = (html: string) => /<html lang="([^"]+)">/.exec(html)?.[1];

export function defineLanguageFlows(setup: () => Promise<TestApp>): void {
  let t: TestApp;
  beforeAll(async () => { t = await setup(); });
  afterAll(async () => { await t.close(); });

  const savedLanguage = async (user: UserFixture) => (await Users.findUserByPublicId(t.db, user.id))!.language;

  describe('a visitor', () => {
    it.each([
      [undefined, 'en'],
      ['ru', 'ru'],
      ['es-MX,es;q=0.9', 'es'],
      ['zh-CN,zh;q=0.9', 'zh-CN'],
      ['fr-FR,fr;q=0.9,ru;q=0.5', 'ru'],
      ['zh-TW,zh;q=0.9,es;q=0.4', 'zh-CN'],
      ['zh-TW,de;q=0.9,es;q=0.4', 'es'],
      ['zh-Hant', 'zh-CN'],
      ['de;q=1,ru;q=0', 'en'],
      ['xx-YY, *', 'en'],
    ])('with Accept-Language %s gets %s in <html lang>, Content-Language and Vary', async (header, expected) => {
      const req = request(t.app).get('/auth/login');
      const res = header === undefined ? await req : await req.set('Accept-Language', header);
      expect(res.status).toBe(200);
      expect(htmlLang(res.text)).toBe(expected);
      expect(res.headers['content-language']).toBe(expected);
      expect(res.headers.vary).toMatch(/Accept-Language/);
    });

    it('is answered in the lang cookie\'s language over Accept-Language; an unknown cookie value is ignored', async () => {
      const cookie = await request(t.app).get('/').set('Accept-Language', 'es').set('Cookie', 'lang=ru');
      expect(htmlLang(cookie.text)).toBe('ru');
      const bogus = await request(t.app).get('/').set('Accept-Language', 'es').set('Cookie', 'lang=klingon');
      expect(htmlLang(bogus.text)).toBe('es');
    });

    it('switches with the footer form: 303 back to the same page, the lang cookie set, that page in the new language', async () => {
      const browser = new Browser(t.app);
      const page = await browser.get('/auth/login?next=%2Farticles');
      expect(page.text).toContain('action="/language"');
      expect(page.text).toContain('name="next" value="/auth/login?next=%2Farticles"');
      const res = await browser.submit('/language', { lang: 'zh-CN', next: '/auth/login?next=%2Farticles' });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/auth/login?next=%2Farticles');
      const cookie = setCookie(res, 'lang');
      expect(cookie?.value).toBe('zh-CN');
      expect(cookie?.attributes).toEqual(expect.objectContaining({ path: '/', samesite: 'Lax', httponly: true }));
      expect(htmlLang((await browser.get('/auth/login?next=%2Farticles')).text)).toBe('zh-CN');
    });

    it('cannot switch without the CSRF token (403), nor to somewhere off the site, nor to an unknown language (422)', async () => {
      const browser = new Browser(t.app);
      await browser.get('/');
      const forged = await request(t.app).post('/language').type('form').send('lang=ru&next=%2F');
      expect(forged.status).toBe(403);
      expect(setCookie(forged, 'lang')).toBeUndefined();
      const offSite = await browser.submit('/language', { lang: 'ru', next: '//evil.example/' });
      expect(offSite.status).toBe(303);
      expect(offSite.headers.location).toBe('/');
      const unknown = await browser.submit('/language', { lang: 'tlh', next: '/' });
      expect(unknown.status).toBe(422);
      expect(setCookie(unknown, 'lang')).toBeUndefined();
    });
  });

  describe('a signed-in user', () => {
    it('keeps a language chosen on the profile with the account: it wins over the cookie and the header', async () => {
      const user = await createUser(t);
      const browser = await signIn(t, user);
      await browser.get('/me');
      const saved = await browser.submit('/me', { first_name: '', second_name: '', email: user.email, current_password: '', language: 'es' });
      expect(saved.status).toBe(303);
      expect(await savedLanguage(user)).toBe('es');
      const page = await browser.agent.get('/me').set('Accept-Language', 'ru').set('Cookie', 'lang=zh-CN');
      expect(htmlLang(page.text)).toBe('es');
      expect(page.text).toMatch(/<option value="es" lang="es" selected>/);
    });

    it('clears the choice with "same as my browser": the cookie and the header decide again', async () => {
      const user = await createUser(t);
      await t.db('users').where({ id: user.internalId }).update({ language: 'ru' });
      const browser = await signIn(t, user);
      await browser.get('/me');
      await browser.submit('/me', { first_name: '', second_name: '', email: user.email, current_password: '', language: '' });
      expect(await savedLanguage(user)).toBeNull();
      expect(htmlLang((await browser.agent.get('/me').set('Accept-Language', 'es')).text)).toBe('es');
    });

    it('saves what the switcher chose with the account', async () => {
      const user = await createUser(t);
      await t.db('users').where({ id: user.internalId }).update({ language: 'es' });
      const browser = await signIn(t, user);
      await browser.get('/me');
      const res = await browser.submit('/language', { lang: 'ru', next: '/me' });
      expect(res.headers.location).toBe('/me');
      expect(await savedLanguage(user)).toBe('ru');
      expect(htmlLang((await browser.get('/me')).text)).toBe('ru');
    });

    it('refuses an unknown language on the profile with 422 at the field, saving nothing', async () => {
      const user = await createUser(t);
      const browser = await signIn(t, user);
      await browser.get('/me');
      const res = await browser.submit('/me', { first_name: 'Ann', second_name: '', email: user.email, current_password: '', language: 'fr' });
      expect(res.status).toBe(422);
      expect(res.text).toMatch(/id="language-error">Choose one of the available languages/);
      const row = await Users.findUserByPublicId(t.db, user.id);
      expect(row?.language).toBeNull();
      expect(row?.first_name).toBeNull();
    });
  });

  describe('the API', () => {
    it('shows and changes the language in GET and PATCH /api/me', async () => {
      const user = await createUser(t);
      const { access_token: token } = await apiLogin(t, user);
      expect((await request(t.app).get('/api/me').set('Authorization', `Bearer ${token}`)).body.language).toBeNull();
      const patched = await request(t.app).patch('/api/me').set('Authorization', `Bearer ${token}`).send({ language: 'zh-CN' });
      expect(patched.status).toBe(200);
      expect(patched.body.language).toBe('zh-CN');
      expect((await request(t.app).get('/api/me').set('Authorization', `Bearer ${token}`)).body.language).toBe('zh-CN');
      const refused = await request(t.app).patch('/api/me').set('Authorization', `Bearer ${token}`).set('Accept-Language', 'ru').send({ language: 'xx' });
      expect(refused.status).toBe(422);
      expect(errorEnvelope(refused).code).toBe('validation_failed');
      expect(errorEnvelope(refused).fields?.language).toMatch(/^Выберите один из доступных языков/);
      expect(await savedLanguage(user)).toBe('zh-CN');
    });

    it('answers error messages in the Accept-Language language, with the same code; without a header, in the saved language', async () => {
      const english = await request(t.app).post('/api/auth/register').send([]);
      const russian = await request(t.app).post('/api/auth/register').set('Accept-Language', 'ru').send([]);
      expect(errorEnvelope(russian).code).toBe(errorEnvelope(english).code);
      expect(errorEnvelope(english).message).toBe('The request body must be a JSON object.');
      expect(errorEnvelope(russian).message).toBe('Тело запроса должно быть объектом JSON.');
      expect(russian.headers['content-language']).toBe('ru');

      const user = await createUser(t);
      await t.db('users').where({ id: user.internalId }).update({ language: 'es' });
      const { access_token: token } = await apiLogin(t, user);
      const saved = await request(t.app).patch('/api/me').set('Authorization', `Bearer ${token}`).send([]);
      expect(errorEnvelope(saved).message).toBe('El cuerpo de la solicitud debe ser un objeto JSON.');
      const asked = await request(t.app).patch('/api/me').set('Authorization', `Bearer ${token}`).set('Accept-Language', 'zh-CN').send([]);
      expect(errorEnvelope(asked).message).toBe('请求体必须是一个 JSON 对象。');
    });
  });
}
