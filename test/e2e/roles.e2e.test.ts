import { createUser } from '../helpers/factories';
import { launchChromium, RunningBrowser } from './support/chromium';
import { expectGoodPage, flash, logIn, newPerson, screenshot, submit, visit } from './support/pages';
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

function mainNav(page: Parameters<typeof flash>[0]) {
  return page.getByRole('navigation', { name: 'Main' });
}

describe('roles in a real browser', () => {
  test('a reader opening /admin sees the friendly 403 page in the layout, with a way back', async () => {
    const reader = await createUser(app);
    const { context, page } = await newPerson(chromium.browser, app);
    await logIn(page, reader.username, reader.password);

    const response = await page.goto('/admin');

    expect(response?.status()).toBe(403);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Permission denied');
    await expect(page.getByRole('main').textContent()).resolves.toContain('You do not have permission to perform this operation');
    await expect(mainNav(page).textContent()).resolves.toContain(reader.username);
    await expect(page.getByRole('main').getByRole('link', { name: 'Go to the home page' }).isVisible()).resolves.toBe(true);
    await expect(mainNav(page).getByRole('link', { name: 'Admin' }).count()).resolves.toBe(0);
    await expectGoodPage(page);
    await screenshot(page, 'forbidden-admin');

    await submit(page, page.getByRole('main').getByRole('link', { name: 'Go to the home page' }));
    expect(new URL(page.url()).pathname).toBe('/');
    await context.close();
  });

  test('an admin grants the author role and the user sees "New article" on their next page, still signed in', async () => {
    const admin = await createUser(app, { roles: { is_admin: true } });
    const writer = await createUser(app, { first_name: 'Octavia' });
    const adminBrowser = await newPerson(chromium.browser, app);
    const writerBrowser = await newPerson(chromium.browser, app);
    await logIn(adminBrowser.page, admin.username, admin.password);
    await logIn(writerBrowser.page, writer.username, writer.password);
    await expect(mainNav(writerBrowser.page).getByRole('link', { name: 'New article' }).count()).resolves.toBe(0);

    const { page } = adminBrowser;
    await submit(page, mainNav(page).getByRole('link', { name: 'Admin' }));
    await expectGoodPage(page);
    await submit(page, page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }));
    await page.getByLabel('Search by username, email or name').fill(writer.username);
    await submit(page, page.getByRole('button', { name: 'Search' }));
    await expectGoodPage(page);
    await submit(page, page.getByRole('link', { name: writer.username }));
    expect(new URL(page.url()).pathname).toBe(`/admin/users/${writer.id}`);
    await expectGoodPage(page);

    await page.getByLabel('Author', { exact: true }).check();
    await submit(page, page.getByRole('button', { name: 'Save', exact: true }));

    await expect(flash(page).getAttribute('class')).resolves.toContain('flash-success');
    await expect(flash(page).textContent()).resolves.toMatch(/roles/i);
    await expect(page.getByLabel('Author', { exact: true }).isChecked()).resolves.toBe(true);
    await expectGoodPage(page);
    await screenshot(page, 'admin-roles-updated');

    // The writer's very next page carries the new role: no new login.
    await submit(writerBrowser.page, mainNav(writerBrowser.page).getByRole('link', { name: 'Profile' }));
    expect(new URL(writerBrowser.page.url()).pathname).toBe('/me');
    await expect(mainNav(writerBrowser.page).getByRole('link', { name: 'New article' }).isVisible()).resolves.toBe(true);
    await expect(writerBrowser.page.locator('.site-header .badge-author').isVisible()).resolves.toBe(true);
    await expectGoodPage(writerBrowser.page);
    await screenshot(writerBrowser.page, 'author-role-granted');
    await adminBrowser.context.close();
    await writerBrowser.context.close();
  });

  test('an author writes an article and a reader reads it', async () => {
    const author = await createUser(app, { roles: { is_author: true } });
    const reader = await createUser(app);
    const authorBrowser = await newPerson(chromium.browser, app);
    const readerBrowser = await newPerson(chromium.browser, app);
    await logIn(authorBrowser.page, author.username, author.password);
    await logIn(readerBrowser.page, reader.username, reader.password);

    const { page } = authorBrowser;
    await submit(page, mainNav(page).getByRole('link', { name: 'New article' }));
    expect(new URL(page.url()).pathname).toBe('/articles/new');
    await expectGoodPage(page);

    // Publishing without a title brings the form back with the text kept.
    const body = 'Gatehouse keeps the tokens short-lived.\n\nAnd the sessions visible, one per device.';
    await page.getByLabel('Article', { exact: true }).fill(body);
    await submit(page, page.getByRole('button', { name: 'Publish' }));
    await expect(page.locator('#error-summary').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Title', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.getByLabel('Article', { exact: true }).inputValue()).resolves.toBe(body);
    await expectGoodPage(page);

    await page.getByLabel('Title', { exact: true }).fill('Why short tokens');
    await submit(page, page.getByRole('button', { name: 'Publish' }));
    expect(new URL(page.url()).pathname).toMatch(/^\/articles\/\d+$/);
    await expect(flash(page).textContent()).resolves.toContain('published');
    await expectGoodPage(page);
    await screenshot(page, 'article-published');

    const reading = readerBrowser.page;
    await submit(reading, mainNav(reading).getByRole('link', { name: 'Articles' }));
    await expectGoodPage(reading);
    await submit(reading, reading.getByRole('link', { name: 'Why short tokens' }));
    await expect(reading.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Why short tokens');
    await expect(reading.getByRole('main').textContent()).resolves.toContain('And the sessions visible, one per device.');
    await expect(reading.getByRole('main').textContent()).resolves.toContain(author.username);
    // A reader may read, not change.
    await expect(reading.getByRole('link', { name: 'Edit' }).count()).resolves.toBe(0);
    await expectGoodPage(reading);
    await screenshot(reading, 'article-read');
    await authorBrowser.context.close();
    await readerBrowser.context.close();
  });
});
