import type { Page } from 'playwright-core';
import { createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { launchChromium, RunningBrowser } from './support/chromium';
import { errorSummary, expectGoodPage, flash, horizontalOverflow, logIn, logOutFromNavigation, newPerson, screenshot, submit, visit } from './support/pages';
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

/** The page answered `status` and passed the accessibility and console checks. */
async function expectPage(page: Page, pathname: string, status = 200): Promise<void> {
  const response = await page.goto(pathname);
  expect(`${pathname} → ${response?.status()}`).toBe(`${pathname} → ${status}`);
  await expectGoodPage(page);
}

describe('every page passes axe-core with no serious or critical violation', () => {
  test('the pages a visitor can open', async () => {
    const { context, page } = await newPerson(chromium.browser, app);
    for (const pathname of ['/', '/auth/register', '/auth/login', '/auth/logout', '/auth/forgot', '/auth/verify/resend']) {
      await expectPage(page, pathname);
    }
    await expectPage(page, '/auth/reset?token=not-a-real-token', 400);
    await expectPage(page, '/no/such/page', 404);
    await screenshot(page, 'not-found');
    await context.close();
  });

  test('the pages a signed-in reader, author and admin open, empty lists included', async () => {
    const admin = await createUser(app, { roles: { is_admin: true, is_author: true } });
    const { context, page } = await newPerson(chromium.browser, app);
    await logIn(page, admin.username, admin.password);
    for (const pathname of ['/', '/me', '/me/sessions', '/auth/logout', '/articles', '/articles/new', '/admin', '/admin/users', '/admin/audit']) {
      await expectPage(page, pathname);
    }
    await expectPage(page, '/admin/users?q=nobody-matches-this', 200);
    await expect(page.locator('.empty-state').textContent()).resolves.toContain('No user matches');
    await expectPage(page, `/admin/users/${admin.id}`);
    await expectPage(page, '/no/such/page', 404);
    await context.close();
  });

  test('an empty article list says so and offers the first article to an author', async () => {
    const fresh = await startApp();
    const author = await createUser(fresh, { roles: { is_author: true } });
    const { context, page } = await newPerson(chromium.browser, fresh);
    await logIn(page, author.username, author.password);

    await visit(page, '/articles');
    await expect(page.locator('.empty-state').textContent()).resolves.toContain('No articles yet');
    await expect(page.locator('.empty-state').getByRole('link', { name: 'Write the first article' }).isVisible()).resolves.toBe(true);
    await screenshot(page, 'articles-empty');
    await context.close();
    await fresh.stop();
  });

  test('a long list has pagination controls that lead from page to page', async () => {
    const author = await createUser(app, { roles: { is_author: true } });
    for (let n = 1; n <= 95; n += 1) {
      await app.app.services.articles.create({ id: author.id }, { title: `Note number ${n}`, body: `Body of note ${n}.` });
    }
    const { context, page } = await newPerson(chromium.browser, app);
    await logIn(page, author.username, author.password);
    const pagination = page.getByRole('navigation', { name: 'Pagination' });
    const pageLinks = async () => (await pagination.getByRole('listitem').allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());

    await visit(page, '/articles');
    await expect(pagination.getByRole('link', { name: 'Page 1', exact: true }).getAttribute('aria-current')).resolves.toBe('page');
    await submit(page, pagination.getByRole('link', { name: 'Next page' }));
    expect(new URL(page.url()).searchParams.get('page')).toBe('2');
    await expect(pagination.getByRole('link', { name: 'Page 2', exact: true }).getAttribute('aria-current')).resolves.toBe('page');
    await expectGoodPage(page);

    // Far from both ends: the first and last pages, two either side, and a gap each way.
    await visit(page, '/articles?page=5');
    await expect(pageLinks()).resolves.toEqual(['Previous page', '1', '…', '3', '4', '5', '6', '7', '…', '10', 'Next page']);
    await expect(pagination.textContent()).resolves.toMatch(/Page 5 of 10 · 95 articles/);
    await screenshot(page, 'articles-page-5');

    await submit(page, pagination.getByRole('link', { name: 'Page 10', exact: true }));
    await expect(pagination.getByRole('link', { name: 'Next page' }).count()).resolves.toBe(0);
    await expect(page.locator('.item-list > li').count()).resolves.toBe(5);
    await submit(page, pagination.getByRole('link', { name: 'Previous page' }));
    expect(new URL(page.url()).searchParams.get('page')).toBe('9');
    await context.close();
  });

  test('too many failed logins end on the friendly 429 page', async () => {
    const strict = await startApp({ RATE_LIMIT_LOGIN_PER_ACCOUNT: '1' });
    const user = await createUser(strict);
    const { context, page } = await newPerson(chromium.browser, strict);

    await logIn(page, user.username, 'wrong password one');
    await expect(errorSummary(page).textContent()).resolves.toContain('Incorrect username or password');
    const [response] = await Promise.all([
      page.waitForResponse((res) => res.url().endsWith('/auth/login') && res.request().method() === 'POST'),
      logIn(page, user.username, 'wrong password two'),
    ]);

    expect(response.status()).toBe(429);
    expect(Number(response.headers()['retry-after'])).toBeGreaterThan(0);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Too many attempts');
    await expect(page.getByRole('main').getByRole('link', { name: 'Go to the home page' }).isVisible()).resolves.toBe(true);
    await expectGoodPage(page);
    await screenshot(page, 'too-many-attempts');
    await context.close();
    await strict.stop();
  });

  test('a server error shows the 500 page with a request id and no internals', async () => {
    const broken = await startApp();
    const user = await createUser(broken);
    const { context, page } = await newPerson(chromium.browser, broken);
    await logIn(page, user.username, user.password);
    await broken.db.destroy();

    // Not /me: the profile is served from the revocation check's answer of the last second.
    const response = await page.goto('/me/sessions');

    expect(response?.status()).toBe(500);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Something went wrong');
    const text = (await page.getByRole('main').textContent()) ?? '';
    expect(text).toMatch(/request id \S+/);
    expect(text).not.toMatch(/knex|sqlite|at \w+ \(|\.ts:\d+/i);
    await expect(page.getByRole('main').getByRole('link', { name: 'Go to the home page' }).isVisible()).resolves.toBe(true);
    await expectGoodPage(page);
    await screenshot(page, 'server-error');
    await context.close();
    await broken.stop();
  });

  test('a forgotten password is reset from the emailed link, through pages that pass the same checks', async () => {
    const user = await createUser(app);
    const { context, page } = await newPerson(chromium.browser, app);
    await visit(page, '/auth/login');
    await submit(page, page.getByRole('link', { name: 'Forgot your password?' }));
    await expectGoodPage(page);
    await page.getByLabel('Email address', { exact: true }).fill(user.email);
    await submit(page, page.getByRole('button', { name: 'Send me a reset link' }));
    await expectGoodPage(page);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Check your inbox');

    // Mail goes out after the response: wait for it, then follow the link as the user would.
    await app.app.services.outbox.drain();
    await visit(page, '/dev/mail');
    await submit(page, page.getByRole('link', { name: /reset/i }).first());
    const link = page.getByRole('link', { name: /\/auth\/reset\?token=/ });
    await submit(page, link);
    expect(new URL(page.url()).pathname).toBe('/auth/reset');
    await expectGoodPage(page);
    await screenshot(page, 'reset-password');

    // A mismatch first: the form comes back with the message at the field, the token kept.
    const newPassword = 'a fresh passphrase after forgetting';
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password', { exact: true }).fill('not the same');
    await submit(page, page.getByRole('button', { name: 'Set new password' }));
    await expect(page.getByLabel('Confirm new password', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
    await expectGoodPage(page);

    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password', { exact: true }).fill(newPassword);
    await submit(page, page.getByRole('button', { name: 'Set new password' }));
    expect(new URL(page.url()).pathname).toBe('/me');
    await expect(flash(page).getAttribute('class')).resolves.toContain('flash-success');
    await expectGoodPage(page);

    await logOutFromNavigation(page);
    await logIn(page, user.username, DEFAULT_PASSWORD);
    await expect(errorSummary(page).isVisible()).resolves.toBe(true);
    await logIn(page, user.username, newPassword);
    expect(new URL(page.url()).pathname).toBe('/me');
    await context.close();
  });

  test('on a phone-sized screen no page scrolls sideways', async () => {
    const admin = await createUser(app, { roles: { is_admin: true, is_author: true } });
    const { context, page } = await newPerson(chromium.browser, app, { viewport: { width: 360, height: 740 } });
    const overflow = () => horizontalOverflow(page);
    for (const pathname of ['/', '/auth/register', '/auth/login']) {
      await visit(page, pathname);
      expect(`${pathname}: ${await overflow()}px`).toBe(`${pathname}: 0px`);
    }
    await logIn(page, admin.username, admin.password);
    await screenshot(page, 'phone-profile');
    for (const pathname of ['/me', '/articles', '/articles/new', '/admin', '/no/such/page']) {
      await page.goto(pathname);
      await expectGoodPage(page);
      expect(`${pathname}: ${await overflow()}px`).toBe(`${pathname}: 0px`);
    }
    await context.close();
  });
});
