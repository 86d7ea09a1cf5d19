/**
 * The login, registration-with-errors and profile pages in every language, at a phone's width
 * (360 px) and at desktop width (1000 px), into docs/screenshots/ — to review the translations
 * in place and to see that the longer ones (Russian runs about a third longer) keep the layout:
 *
 *   npx tsx test/e2e/screenshots-languages.ts
 *
 * Files are named <page>-<language>-<width>.png (login-ru-360.png). Chinese needs a CJK font on
 * the machine (Debian: apt-get install fonts-wqy-microhei), or it shows as boxes. The script
 * refuses to write a screenshot of a page that scrolls sideways. Fields and buttons are found by
 * their names, never by their (translated) words. pngquant, when installed, shrinks the files.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SUPPORTED_LANGUAGES } from '../../src/lib/i18n';
import { createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { launchChromium } from './support/chromium';
import { horizontalOverflow, newPerson, submit } from './support/pages';
import { RunningApp, startApp } from './support/server';

const OUT_DIR = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
const WIDTHS = { 360: { width: 360, height: 800 }, desktop: { width: 1000, height: 900 } } as const;
const MAX_HEIGHT = 1600;
const written: string[] = [];

async function shoot(page: Page, name: string, width: number): Promise<void> {
  await page.waitForLoadState('load');
  const overflow = await horizontalOverflow(page);
  if (overflow > 0) throw new Error(`${name}: the page is ${overflow} px wider than the window`);
  const file = path.join(OUT_DIR, `${name}.png`);
  const height = (await page.evaluate('document.documentElement.scrollHeight')) as number;
  await page.screenshot({ path: file, clip: { x: 0, y: 0, width, height: Math.min(height, MAX_HEIGHT) } });
  written.push(file);
  process.stdout.write(`  ${path.relative(process.cwd(), file)}\n`);
}

async function pagesIn(browser: Browser, app: RunningApp, language: string, label: keyof typeof WIDTHS): Promise<void> {
  const viewport = WIDTHS[label];
  const suffix = `${language}-${label}`;
  const { context, page } = await newPerson(browser, app, { locale: language, viewport });
  await page.goto('/auth/login');
  await shoot(page, `login-${suffix}`, viewport.width);

  // Every kind of message at once: a name too short, an address without a domain, a common password, no confirmation.
  await page.goto('/auth/register');
  await page.locator('input[name="username"]').fill('ad');
  await page.locator('input[name="email"]').fill('ada@example');
  await page.locator('input[name="password"]').fill('password');
  await submit(page, page.getByRole('main').locator('form[action="/auth/register"] button[type="submit"]'));
  await shoot(page, `register-errors-${suffix}`, viewport.width);

  const username = `ana_${language.replace('-', '').toLowerCase()}_${label}`;
  await createUser(app, { username, email: `${username}@example.com`, first_name: 'Anastasia', roles: { is_author: true } });
  await page.goto('/auth/login');
  await page.locator('input[name="login"]').fill(username);
  await page.locator('input[name="password"]').fill(DEFAULT_PASSWORD);
  await submit(page, page.getByRole('main').locator('form[action^="/auth/login"] button[type="submit"]'));
  await page.goto('/me');
  await shoot(page, `profile-${suffix}`, viewport.width);
  await context.close();
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const [app, chromium] = await Promise.all([startApp({ RATE_LIMIT_AUTH_PER_IP: '100000', RATE_LIMIT_REGISTER_PER_IP: '100000' }), launchChromium()]);
  try {
    for (const language of SUPPORTED_LANGUAGES) {
      for (const label of Object.keys(WIDTHS) as (keyof typeof WIDTHS)[]) await pagesIn(chromium.browser, app, language, label);
    }
  } finally {
    await chromium.close();
    await app.stop();
  }
  compress();
}

/** pngquant (apt-get install pngquant) cuts these flat-colour pages to about a third. */
function compress(): void {
  try {
    execFileSync('pngquant', ['--force', '--skip-if-larger', '--strip', '--quality=70-95', '--ext', '.png', ...written], { stdio: 'inherit' });
  } catch {
    process.stdout.write('pngquant is not installed: the screenshots are left uncompressed.\n');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
