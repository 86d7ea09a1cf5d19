import type { Page } from 'playwright-core';
import { SUPPORTED_LANGUAGES, translator } from '../../src/lib/i18n';
import { createUser, DEFAULT_PASSWORD, UserFixture } from '../helpers/factories';
import { launchChromium, RunningBrowser } from './support/chromium';
import { expectGoodPage, horizontalOverflow, newPerson, submit } from './support/pages';
import { RunningApp, startApp } from './support/server';

/**
 * Languages in a real browser (docs/i18n.md): the footer's switcher with JavaScript off, axe on
 * the main pages in every language, and the narrow layout holding the longer translations.
 * Elements are found by their names and form actions, never by their (translated) text.
 */
let app: RunningApp;
let chromium: RunningBrowser;
let admin: UserFixture;
/** The switcher journey saves a language with this account; the axe pages use `admin`, who has none. */
let traveller: UserFixture;
let articleId: number;

beforeAll(async () => {
  [app, chromium] = await Promise.all([startApp(), launchChromium()]);
  admin = await createUser(app, { roles: { is_admin: true, is_author: true }, first_name: 'Margarita' });
  traveller = await createUser(app, { roles: { is_admin: true }, first_name: 'Marco' });
  articleId = (await app.app.services.articles.create({ id: admin.id }, { title: 'Gatehouse 2026', body: 'Lorem ipsum dolor sit amet.' })).id;
});

afterAll(async () => {
  await chromium?.close();
  await app?.stop();
});

/** Read through a locator, which works with JavaScript off too (page.evaluate does not). */
const htmlLang = (page: Page) => page.locator('html').getAttribute('lang');
const switcher = (page: Page) => page.getByRole('contentinfo').locator('form[action="/language"]');

/** The footer form, as a person uses it: pick the language by its own name, press the button. */
async function switchLanguage(page: Page, language: string): Promise<void> {
  await switcher(page).locator('select[name="lang"]').selectOption(language);
  await submit(page, switcher(page).getByRole('button'));
}

/** The login form by its field names, whatever language its labels are in. */
async function logInByFields(page: Page, login: string, password: string): Promise<void> {
  await page.goto('/auth/login');
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill(password);
  await submit(page, page.getByRole('main').locator('form[action^="/auth/login"] button[type="submit"]'));
}

describe('the language switcher, with JavaScript off', () => {
  test('a visitor switches on the login page, stays on it, and the choice holds on the next pages and after a reload', async () => {
    const { context, page } = await newPerson(chromium.browser, app, { javaScriptEnabled: false });
    await page.goto('/auth/login?next=%2Farticles');
    expect(await htmlLang(page)).toBe('en');
    await switchLanguage(page, 'ru');
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/auth/login?next=%2Farticles');
    expect(await htmlLang(page)).toBe('ru');
    await expect(switcher(page).locator('select[name="lang"]').inputValue()).resolves.toBe('ru');
    await expect(switcher(page).locator('label').textContent()).resolves.toBe('Язык');

    await page.goto('/auth/register');
    expect(await htmlLang(page)).toBe('ru');
    await page.goto('/no/such/page');
    expect(await htmlLang(page)).toBe('ru');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Страница не найдена');
    await page.reload();
    expect(await htmlLang(page)).toBe('ru');
    await context.close();
  });

  test('a signed-in admin switches on an admin page; the choice is saved with the account and follows them to another browser', async () => {
    const first = await newPerson(chromium.browser, app, { javaScriptEnabled: false });
    await logInByFields(first.page, traveller.username, DEFAULT_PASSWORD);
    await first.page.goto('/admin/users?q=marco');
    await switchLanguage(first.page, 'es');
    expect(new URL(first.page.url()).pathname + new URL(first.page.url()).search).toBe('/admin/users?q=marco');
    expect(await htmlLang(first.page)).toBe('es');
    await expect(first.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Usuarios');
    await first.context.close();

    // A fresh browser that asks for English: once signed in, the saved Spanish wins.
    const second = await newPerson(chromium.browser, app, { javaScriptEnabled: false, locale: 'en-US' });
    await logInByFields(second.page, traveller.username, DEFAULT_PASSWORD);
    await second.page.goto('/admin/audit');
    expect(await htmlLang(second.page)).toBe('es');
    await expect(second.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Registro de auditoría');
    // Back to English, from the same switcher.
    await switchLanguage(second.page, 'en');
    expect(await htmlLang(second.page)).toBe('en');
    await second.context.close();
  });
});

describe.each(SUPPORTED_LANGUAGES)('in %s (the browser asks for it in Accept-Language)', (language) => {
  test('the main pages pass axe with no serious or critical violation, and nothing scrolls sideways at desktop width nor at 360 px', async () => {
    const t = translator(language);
    for (const viewport of [{ width: 1000, height: 760 }, { width: 360, height: 740 }]) {
      const { context, page } = await newPerson(chromium.browser, app, { locale: language, viewport });
      const check = async (pathname: string, status = 200) => {
        const response = await page.goto(pathname);
        expect(`${pathname} → ${response?.status()}`).toBe(`${pathname} → ${status}`);
        expect(await htmlLang(page)).toBe(language);
        await expectGoodPage(page);
        // Wide tables scroll inside their own box (.table-wrap); the page itself never does.
        expect(`${pathname} overflow ${await horizontalOverflow(page)}`).toBe(`${pathname} overflow 0`);
      };
      for (const pathname of ['/', '/auth/login', '/auth/register']) await check(pathname);
      await check('/no/such/page', 404);
      await logInByFields(page, admin.username, DEFAULT_PASSWORD);
      for (const pathname of ['/me', '/me/sessions', '/articles', `/articles/${articleId}`, '/articles/new', '/admin', '/admin/users', `/admin/users/${admin.id}`, '/admin/audit', '/dev/mail']) {
        await check(pathname);
      }
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(t('dev.outbox.title'));
      await context.close();
    }
  });
});
