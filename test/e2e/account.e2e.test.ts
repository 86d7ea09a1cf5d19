import fs from 'node:fs';
import { createUser } from '../helpers/factories';
import { launchChromium, RunningBrowser } from './support/chromium';
import { errorSummary, expectGoodPage, flash, logIn, newPerson, screenshot, submit, visit } from './support/pages';
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

describe('the account is the user\'s (issue 18)', () => {
  test('sign in without "Remember me", see it in the activity, download the data, delete the account, and fail to sign in after', async () => {
    const user = await createUser(app, { first_name: 'Ada' });
    const { context, page } = await newPerson(chromium.browser, app);

    // The box is unticked by default: the sign-in lasts as long as the browser.
    await page.goto('/auth/login');
    await expect(page.getByLabel('Remember me').isChecked()).resolves.toBe(false);
    await expectGoodPage(page);
    await logIn(page, user.username, user.password);
    expect(new URL(page.url()).pathname).toBe('/me');
    const cookies = await context.cookies();
    // The refresh cookie ends with the browser; the access cookie keeps its short lifetime (SPEC's Max-Age).
    expect(cookies.find((cookie) => cookie.name === 'refresh_token')?.expires).toBe(-1);
    expect(cookies.find((cookie) => cookie.name === 'access_token')?.expires).toBeGreaterThan(Date.now() / 1000);
    expect(cookies.find((cookie) => cookie.name === 'device')?.expires).toBeGreaterThan(Date.now() / 1000 + 300 * 86400);

    // The sign-in is the newest entry of the activity, linked to its live session.
    await submit(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }));
    expect(new URL(page.url()).pathname).toBe('/me/activity');
    const newest = page.locator('tbody tr').first();
    await expect(newest.textContent()).resolves.toContain('Signed in');
    await expectGoodPage(page);
    await screenshot(page, 'account-activity');
    await submit(page, newest.getByRole('link', { name: 'Still signed in' }));
    expect(new URL(page.url()).pathname).toBe('/me/sessions');
    await expect(page.locator(new URL(page.url()).hash).textContent()).resolves.toContain('No — ends with the browser');
    await expectGoodPage(page);

    // "Download my data" asks for the password, then the browser saves one JSON file.
    await visit(page, '/me/data');
    await page.getByLabel('Your password', { exact: true }).fill(user.password);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download my data' }).click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^gatehouse-${user.username}-\\d{4}-\\d{2}-\\d{2}\\.json$`));
    const file = await download.path();
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(data.profile).toMatchObject({ username: user.username, email: user.email, first_name: 'Ada' });
    expect(JSON.stringify(data)).not.toContain('password_hash');

    // The warning page, then the account is gone.
    await visit(page, '/me/delete');
    await expect(page.getByRole('note').textContent()).resolves.toContain('This cannot be undone.');
    await screenshot(page, 'account-delete');
    await page.getByLabel('Your password', { exact: true }).fill(user.password);
    await submit(page, page.getByRole('button', { name: 'Delete my account for good' }));
    expect(new URL(page.url()).pathname).toBe('/');
    await expect(flash(page).textContent()).resolves.toContain('Your account has been deleted.');
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Log out' }).count()).resolves.toBe(0);
    await expectGoodPage(page);
    await screenshot(page, 'account-deleted');

    await logIn(page, user.username, user.password);
    expect(new URL(page.url()).pathname).toBe('/auth/login');
    await expect(errorSummary(page).textContent()).resolves.toContain('Incorrect username or password');
    await expectGoodPage(page);
    await context.close();
  });
});
