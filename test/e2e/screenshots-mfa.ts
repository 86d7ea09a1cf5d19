/**
 * The second-factor screenshots in docs/screenshots/ (the Security page, the code prompt), from
 * the real app in Debian's chromium with its virtual authenticator:
 *
 *   npx tsx test/e2e/screenshots-mfa.ts
 *
 * Apart from test/e2e/screenshots.ts so that regenerating these leaves the others untouched.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generateSync } from 'otplib';
import type { Page } from 'playwright-core';
import { createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { launchChromium } from './support/chromium';
import { logIn, logOutFromNavigation, newPerson, submit } from './support/pages';
import { startApp } from './support/server';

const OUT_DIR = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
const SIZE = { width: 1000, height: 900 };
const FILES = ['security.png', 'mfa-code-prompt.png', 'mfa-totp-setup.png'];

async function shoot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('load');
  const file = path.join(OUT_DIR, `${name}.png`);
  const height = (await page.evaluate('document.documentElement.scrollHeight')) as number;
  await page.screenshot({ path: file, clip: { x: 0, y: 0, width: SIZE.width, height: Math.min(height, SIZE.height) } });
  process.stdout.write(`  ${path.relative(process.cwd(), file)}\n`);
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const [app, chromium] = await Promise.all([startApp({}, { host: 'localhost' }), launchChromium()]);
  try {
    await createUser(app, { username: 'katherine', email: 'katherine@example.com', first_name: 'Katherine' });
    const { context, page } = await newPerson(chromium.browser, app, { viewport: SIZE });
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await logIn(page, 'katherine', DEFAULT_PASSWORD);

    await page.goto('/me/security');
    await submit(page, page.getByRole('button', { name: 'Set up an authenticator app' }));
    await shoot(page, 'mfa-totp-setup');
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
    await page.getByLabel('Code from your app').fill(generateSync({ secret, epoch: Math.floor(Date.now() / 1000) }));
    await submit(page, page.getByRole('button', { name: 'Turn on' }));
    await page.goto('/me/security/passkeys/new');
    await page.getByLabel('Name').fill('Work laptop');
    await submit(page, page.getByRole('button', { name: 'Create passkey' }));
    await shoot(page, 'security');

    await logOutFromNavigation(page);
    await logIn(page, 'katherine', DEFAULT_PASSWORD);
    await shoot(page, 'mfa-code-prompt');
  } finally {
    await chromium.close();
    await app.stop();
  }
  try {
    execFileSync('pngquant', ['--force', '--skip-if-larger', '--strip', '--quality=70-95', '--ext', '.png', ...FILES.map((name) => path.join(OUT_DIR, name))], { stdio: 'inherit' });
  } catch {
    process.stdout.write('pngquant is not installed: the screenshots are left uncompressed.\n');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
