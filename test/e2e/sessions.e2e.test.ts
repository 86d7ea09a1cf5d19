import { createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { launchChromium, RunningBrowser } from './support/chromium';
import { expectGoodPage, flash, logIn, newPerson, screenshot, submit, visit } from './support/pages';
import { RunningApp, startApp } from './support/server';

const FIREFOX_ON_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';

let app: RunningApp;
let chromium: RunningBrowser;

beforeAll(async () => {
  [app, chromium] = await Promise.all([startApp(), launchChromium()]);
});

afterAll(async () => {
  await chromium?.close();
  await app?.stop();
});

describe('one account in two browsers', () => {
  test('changing the password in one browser signs the other out on its very next click', async () => {
    const user = await createUser(app, { first_name: 'Grace' });
    const laptop = await newPerson(chromium.browser, app);
    const phone = await newPerson(chromium.browser, app);
    await logIn(laptop.page, user.username, user.password);
    await logIn(phone.page, user.username, user.password);
    expect(new URL(phone.page.url()).pathname).toBe('/me');

    const { page } = laptop;
    const newPassword = 'a brand new passphrase for grace';
    await page.getByLabel('Current password', { exact: true }).fill(user.password);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password', { exact: true }).fill(newPassword);
    await submit(page, page.getByRole('button', { name: 'Change password' }));

    expect(new URL(page.url()).pathname).toBe('/me');
    await expect(flash(page).textContent()).resolves.toContain('Password changed — other sessions were signed out.');
    await expectGoodPage(page);
    await screenshot(page, 'password-changed');

    // The phone still shows the profile; its next click finds the session gone.
    await submit(phone.page, phone.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }));
    expect(new URL(phone.page.url()).pathname).toBe('/auth/login');
    await expect(phone.page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Log out' }).count()).resolves.toBe(0);
    await expectGoodPage(phone.page);
    await screenshot(phone.page, 'password-changed-other-browser');

    // The laptop carries on, and the new password is the one that works.
    await visit(page, '/me/sessions');
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await logIn(phone.page, user.username, DEFAULT_PASSWORD);
    await expect(phone.page.locator('#error-summary').textContent()).resolves.toContain('Incorrect username or password');
    await logIn(phone.page, user.username, newPassword);
    expect(new URL(phone.page.url()).pathname).toBe('/me');
    await laptop.context.close();
    await phone.context.close();
  });

  test('the sessions page signs out another browser, which is out on its next click', async () => {
    const user = await createUser(app);
    const laptop = await newPerson(chromium.browser, app);
    const other = await newPerson(chromium.browser, app, { userAgent: FIREFOX_ON_LINUX });
    await logIn(laptop.page, user.username, user.password);
    await logIn(other.page, user.username, user.password);

    const { page } = laptop;
    await visit(page, '/me/sessions');
    await expect(page.locator('tbody tr').count()).resolves.toBe(2);
    await expect(page.locator('tr.current-row').textContent()).resolves.toContain('this device');
    await screenshot(page, 'sessions-two-devices');

    await submit(page, page.getByRole('button', { name: 'Sign out Firefox on Linux' }));

    expect(new URL(page.url()).pathname).toBe('/me/sessions');
    await expect(flash(page).textContent()).resolves.toContain('That session was signed out.');
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('.empty-state').textContent()).resolves.toContain('No other sessions');
    await expectGoodPage(page);
    await screenshot(page, 'sessions-revoked');

    await submit(other.page, other.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }));
    expect(new URL(other.page.url()).pathname).toBe('/auth/login');
    await expectGoodPage(other.page);

    // The browser that did it is still signed in.
    await visit(page, '/me');
    expect(new URL(page.url()).pathname).toBe('/me');
    await laptop.context.close();
    await other.context.close();
  });
});
