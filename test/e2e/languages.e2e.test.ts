import { createUser } from '../helpers/factories';
import { launchChromium, RunningBrowser } from './support/chromium';
import { expectGoodPage, horizontalOverflow, newPerson, screenshot, submit, visit } from './support/pages';
import { RunningApp, startApp } from './support/server';

let app: RunningApp;
let chromium: RunningBrowser;

beforeAll(async () => {
  [app, chromium] = await Promise.all([startApp(), launchChromium()]);
});

afterAll(async () => {
  await chromium?.close();
  await app?.stop();
});

describe('languages in the browser', () => {
  test('the footer switcher works without JavaScript and returns to the same page, which then speaks Russian', async () => {
    const user = await createUser(app);
    // Without JavaScript there is no axe either (it runs in the page): the other test checks accessibility.
    const { context, page } = await newPerson(chromium.browser, app, { javaScriptEnabled: false });
    await page.goto('/auth/login?next=%2Fme%2Fsessions');
    await page.getByLabel('Language').selectOption('ru');
    await submit(page, page.getByRole('contentinfo').getByRole('button', { name: 'Change' }));
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/auth/login?next=%2Fme%2Fsessions');
    await expect(page.getAttribute('html', 'lang')).resolves.toBe('ru');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Вход');

    await page.getByLabel('Имя пользователя или адрес почты').fill(user.username);
    await page.getByLabel('Пароль', { exact: true }).fill(user.password);
    await submit(page, page.getByRole('main').getByRole('button', { name: 'Войти' }));
    expect(new URL(page.url()).pathname).toBe('/me/sessions');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Ваши сеансы');
    await expect(page.getByLabel('Язык').inputValue()).resolves.toBe('ru');
    await context.close();
  });

  test.each(['ru', 'es', 'zh-CN'])('in %s every page of the account passes axe and nothing scrolls sideways at 360 px', async (language) => {
    const user = await createUser(app, { first_name: 'Александра-Мария' });
    const { context, page } = await newPerson(chromium.browser, app, { viewport: { width: 360, height: 740 } });
    await context.addCookies([{ name: 'lang', value: language, url: app.baseUrl }]);
    const overflow = async (pathname: string) => expect(`${pathname}: ${await horizontalOverflow(page)}px`).toBe(`${pathname}: 0px`);
    for (const pathname of ['/', '/auth/login', '/auth/register', '/auth/forgot']) {
      await visit(page, pathname);
      await expect(page.getAttribute('html', 'lang')).resolves.toBe(language);
      await overflow(pathname);
    }
    // The registration form with every message shown: the longest page there is.
    await page.goto('/auth/register');
    await page.locator('#username').fill('x');
    await page.locator('#password').fill('password123');
    await submit(page, page.getByRole('main').locator('button[type="submit"]'));
    await expect(page.locator('#username-error').textContent()).resolves.toBeTruthy();
    // The password's "Show" button speaks the page's language too (public/js/app.js).
    await expect(page.locator('.password-toggle').first().textContent()).resolves.not.toBe('Show');
    await page.waitForLoadState('load');
    await expectGoodPage(page);
    await overflow('/auth/register (422)');
    await screenshot(page, `register-errors-${language}`);

    await page.goto('/auth/login');
    await page.locator('#login').fill(user.username);
    await page.locator('#password').fill(user.password);
    await submit(page, page.getByRole('main').locator('button[type="submit"]').first());
    for (const pathname of ['/me', '/me/sessions', '/me/security', '/auth/logout']) {
      await visit(page, pathname);
      await overflow(pathname);
    }
    await page.goto('/me');
    await screenshot(page, `profile-${language}`);
    await context.close();
  });
});
