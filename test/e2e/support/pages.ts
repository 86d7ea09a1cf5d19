import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { auditAccessibility, describeViolations } from './axe';
import type { RunningApp } from './server';

export const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', '..', 'test-results', 'e2e');

/** Problems the page itself reported: CSP refusals, script errors, failed loads of our assets. */
const pageProblems = new WeakMap<Page, string[]>();

/** A fresh browser profile (cookies and all) with a desktop-sized window, as one person's browser. */
export async function newPerson(
  browser: Browser,
  app: RunningApp,
  options: Pick<BrowserContextOptions, 'userAgent' | 'viewport' | 'javaScriptEnabled' | 'locale'> = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: app.baseUrl, viewport: { width: 1000, height: 760 }, ...options });
  // A missing element fails in seconds, not after jest's whole test timeout.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems: string[] = [];
  pageProblems.set(page, problems);
  // The document's own status (a 404 page, a 422 form) is expected; a broken stylesheet or
  // script is not. Chromium reports both as "Failed to load resource", so judge by response.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400 && response.request().resourceType() !== 'document') {
      problems.push(`${response.status()} for ${response.url()}`);
    }
  });
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? 'failed';
    // Leaving a page cancels what it was still loading; that is the browser, not the app.
    if (!reason.includes('ERR_ABORTED')) problems.push(`${reason}: ${request.url()}`);
  });
  return { context, page };
}

/**
 * What every page must pass: no serious or critical axe-core violation, and nothing the
 * browser refused or failed to run (a CSP block of an inline style shows up here).
 */
export async function expectGoodPage(page: Page): Promise<void> {
  await page.waitForLoadState('load');
  const violations = await auditAccessibility(page);
  expect(describeViolations(violations)).toBe('');
  const problems = pageProblems.get(page) ?? [];
  expect(problems).toEqual([]);
}

/** Opens a path and checks the page that answers. */
export async function visit(page: Page, pathname: string): Promise<void> {
  await page.goto(pathname);
  await expectGoodPage(page);
}

/** Saves the page as test-results/e2e/NAME.png (ignored by git through test-results/). */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** The message a form shows at the top after a failed submit. */
export function errorSummary(page: Page) {
  return page.locator('#error-summary');
}

/** The id of the element that has the keyboard focus. (Strings: the tests are not compiled with the DOM library.) */
export function focusedId(page: Page): Promise<string> {
  return page.evaluate('document.activeElement ? document.activeElement.id : ""') as Promise<string>;
}

/** How many pixels the page is wider than the window: 0 when nothing scrolls sideways. */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as Promise<number>;
}

export function flash(page: Page) {
  return page.locator('.flash');
}

/** Submits a form and waits for the page the server answers with (a 303 lands on the next page). */
export async function submit(page: Page, button: ReturnType<Page['getByRole']>): Promise<void> {
  await Promise.all([page.waitForNavigation(), button.click()]);
}

export async function logIn(page: Page, login: string, password: string, pathname = '/auth/login'): Promise<void> {
  await page.goto(pathname);
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await submit(page, page.getByRole('main').getByRole('button', { name: 'Log in' }));
}

/** Clicks the "Log out" button in the site navigation. */
export async function logOutFromNavigation(page: Page): Promise<void> {
  await submit(page, page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Log out' }));
}
