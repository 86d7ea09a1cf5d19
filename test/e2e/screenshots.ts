/**
 * Regenerates the README's screenshots in docs/screenshots/ from the real app in Debian's
 * chromium, on a throw-away database with a little sample data:
 *
 *   npx tsx test/e2e/screenshots.ts
 *
 * 1000 px wide, at most 900 px tall. Run pngquant over them afterwards when it is installed
 * (the script does it itself when it finds it) to keep the repository small.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { launchChromium } from './support/chromium';
import { logIn, newPerson, submit } from './support/pages';
import { startApp } from './support/server';

const OUT_DIR = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
const SIZE = { width: 1000, height: 900 };

const ARTICLES = [
  ['Why our tokens live fifteen minutes', 'Short-lived access tokens limit what a stolen cookie is worth.\n\nThe refresh token rotates on every use, so a copy shows up at once.'],
  ['Roles, not flags', 'Readers read, authors write, admins manage. Each page asks for the one role it needs.'],
  ['Signing out a lost phone', 'Open your sessions page, find the phone, press "Sign out". Its next request is refused.'],
];

async function shoot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('load');
  const file = path.join(OUT_DIR, `${name}.png`);
  const height = (await page.evaluate('document.documentElement.scrollHeight')) as number;
  await page.screenshot({ path: file, clip: { x: 0, y: 0, width: SIZE.width, height: Math.min(height, SIZE.height) } });
  process.stdout.write(`  ${path.relative(process.cwd(), file)}\n`);
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const [app, chromium] = await Promise.all([startApp(), launchChromium()]);
  try {
    const admin = await createUser(app, { username: 'margaret', email: 'margaret@example.com', first_name: 'Margaret', roles: { is_admin: true, is_author: true } });
    const author = await createUser(app, { username: 'grace', email: 'grace@example.com', first_name: 'Grace', roles: { is_author: true } });
    await createUser(app, { username: 'alan', email: 'alan@example.com', first_name: 'Alan' });
    for (const [title, body] of ARTICLES) await app.app.services.articles.create({ id: author.id }, { title: title!, body: body! });

    const visitor = await newPerson(chromium.browser, app, { viewport: SIZE });
    await visitor.page.goto('/');
    await shoot(visitor.page, 'home');
    await visitor.page.goto('/auth/register');
    await visitor.page.getByLabel('Username', { exact: true }).fill('ada');
    await visitor.page.getByLabel('Email address', { exact: true }).fill('ada@example');
    await visitor.page.getByLabel('Password', { exact: true }).fill('password');
    await submit(visitor.page, visitor.page.getByRole('button', { name: 'Create account' }));
    await shoot(visitor.page, 'register-errors');
    await logIn(visitor.page, 'grace', 'not her password');
    await shoot(visitor.page, 'login-error');
    await visitor.page.goto('/auth/register');
    await visitor.page.getByLabel('Username', { exact: true }).fill('ada');
    await visitor.page.getByLabel('Email address', { exact: true }).fill('ada@example.test');
    await visitor.page.getByLabel('First name').fill('Ada');
    await visitor.page.getByLabel('Password', { exact: true }).fill(DEFAULT_PASSWORD);
    await visitor.page.getByLabel('Confirm password', { exact: true }).fill(DEFAULT_PASSWORD);
    await submit(visitor.page, visitor.page.getByRole('button', { name: 'Create account' }));
    await shoot(visitor.page, 'profile-welcome');
    await visitor.page.goto('/admin');
    await shoot(visitor.page, 'forbidden');

    const phone = await newPerson(chromium.browser, app, { userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1' });
    await logIn(phone.page, 'grace', DEFAULT_PASSWORD);
    const writer = await newPerson(chromium.browser, app, { viewport: SIZE });
    await logIn(writer.page, 'grace', DEFAULT_PASSWORD);
    await writer.page.goto('/me/sessions');
    await shoot(writer.page, 'sessions');
    await writer.page.goto('/articles');
    await shoot(writer.page, 'articles');
    await submit(writer.page, writer.page.getByRole('link', { name: ARTICLES[0]![0]! }));
    await shoot(writer.page, 'article');

    const boss = await newPerson(chromium.browser, app, { viewport: SIZE });
    await logIn(boss.page, admin.username, DEFAULT_PASSWORD);
    await boss.page.goto('/admin/users');
    await shoot(boss.page, 'admin-users');
    await boss.page.goto(`/admin/users/${author.id}`);
    await shoot(boss.page, 'admin-user');
  } finally {
    await chromium.close();
    await app.stop();
  }
  compress();
}

/** pngquant (apt-get install pngquant) cuts these flat-colour pages to about a third. */
function compress(): void {
  const files = fs.readdirSync(OUT_DIR).filter((name) => name.endsWith('.png')).map((name) => path.join(OUT_DIR, name));
  try {
    execFileSync('pngquant', ['--force', '--skip-if-larger', '--strip', '--quality=70-95', '--ext', '.png', ...files], { stdio: 'inherit' });
  } catch {
    process.stdout.write('pngquant is not installed: the screenshots are left uncompressed.\n');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
