import type { BrowserContext, Page } from 'playwright-core';
import { generateSync } from 'otplib';
import { createUser, UserFixture } from '../helpers/factories';
import { launchChromium, RunningBrowser } from './support/chromium';
import { expectGoodPage, flash, logIn, logOutFromNavigation, newPerson, screenshot, submit, visit } from './support/pages';
import { RunningApp, startApp } from './support/server';

let app: RunningApp;
let chromium: RunningBrowser;

beforeAll(async () => {
  // localhost, not 127.0.0.1: WebAuthn takes no IP address as the relying party's id.
  [app, chromium] = await Promise.all([startApp({}, { host: 'localhost' }), launchChromium()]);
});

afterAll(async () => {
  await chromium?.close();
  await app?.stop();
});

/**
 * Chrome's virtual authenticator through the DevTools protocol: a platform authenticator
 * holding discoverable credentials, which verifies the user (as a fingerprint would) and
 * answers at once, so no prompt waits for a person.
 */
async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

/** The code the phone would show now, for the next 30-second step (one step of drift is accepted). */
function codeFor(secret: string, steps: number): string {
  return generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
}

async function openSecurityFromProfile(page: Page): Promise<void> {
  await visit(page, '/me');
  await submit(page, page.getByRole('link', { name: 'Authenticator app, passkeys and recovery codes' }));
  expect(new URL(page.url()).pathname).toBe('/me/security');
  await expectGoodPage(page);
}

describe('passkeys in Chromium with a virtual authenticator', () => {
  let user: UserFixture;
  beforeAll(async () => { user = await createUser(app, { first_name: 'Katherine' }); });

  test('register a passkey from the Security page, sign out, and sign in with the passkey alone', async () => {
    const { context, page } = await newPerson(chromium.browser, app);
    await addVirtualAuthenticator(context, page);
    await logIn(page, user.username, user.password);
    await openSecurityFromProfile(page);

    await submit(page, page.getByRole('link', { name: 'Add a passkey' }));
    await expectGoodPage(page);
    await expect(page.getByText('Adding a passkey needs JavaScript').isHidden()).resolves.toBe(true);
    await page.getByLabel('Name').fill('Work laptop');
    await submit(page, page.getByRole('button', { name: 'Create passkey' }));

    // The first second factor comes with recovery codes, shown this once.
    expect(new URL(page.url()).pathname).toBe('/me/security/passkeys');
    await expect(page.getByRole('heading', { name: 'Your recovery codes' }).isVisible()).resolves.toBe(true);
    await expect(page.locator('.recovery-codes li').count()).resolves.toBe(10);
    await expectGoodPage(page);
    await screenshot(page, 'mfa-recovery-codes');
    await submit(page, page.getByRole('link', { name: 'I have saved them' }));
    await expect(page.getByRole('cell', { name: 'Work laptop', exact: true }).isVisible()).resolves.toBe(true);
    await expectGoodPage(page);
    await screenshot(page, 'mfa-security-passkey');

    await logOutFromNavigation(page);
    expect(new URL(page.url()).pathname).toBe('/auth/login');
    await expectGoodPage(page);
    await submit(page, page.getByRole('button', { name: 'Sign in with a passkey' }));
    expect(new URL(page.url()).pathname).toBe('/me');
    await expect(page.getByRole('navigation', { name: 'Main' }).textContent()).resolves.toContain(user.username);

    // A password login now asks for the second factor, and the passkey answers it.
    await logOutFromNavigation(page);
    await logIn(page, user.username, user.password);
    expect(new URL(page.url()).pathname).toBe('/auth/mfa');
    await expectGoodPage(page);
    await submit(page, page.getByRole('button', { name: 'Use a passkey' }));
    expect(new URL(page.url()).pathname).toBe('/me');
    await context.close();
  });

  test('without JavaScript the login page shows no passkey button, and the password still works', async () => {
    const other = await createUser(app);
    const { context, page } = await newPerson(chromium.browser, app, { javaScriptEnabled: false });
    await page.goto('/auth/login');
    await expect(page.getByRole('button', { name: 'Sign in with a passkey' }).count()).resolves.toBe(0);
    await logIn(page, other.username, other.password);
    expect(new URL(page.url()).pathname).toBe('/me');
    await context.close();
  });
});

describe('the authenticator app in Chromium', () => {
  test('set it up from the QR code page, then a login asks for the code', async () => {
    const user = await createUser(app, { first_name: 'Dorothy' });
    const { context, page } = await newPerson(chromium.browser, app);
    await logIn(page, user.username, user.password);
    await openSecurityFromProfile(page);
    await screenshot(page, 'mfa-security-off');
    await submit(page, page.getByRole('button', { name: 'Set up an authenticator app' }));
    expect(new URL(page.url()).pathname).toBe('/me/security/totp');
    await expect(page.getByRole('img', { name: /QR code/ }).isVisible()).resolves.toBe(true);
    await expectGoodPage(page);
    await screenshot(page, 'mfa-totp-setup');
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    await page.getByLabel('Code from your app').fill(codeFor(secret, 0));
    await submit(page, page.getByRole('button', { name: 'Turn on' }));
    await expect(page.getByRole('heading', { name: 'Your recovery codes' }).isVisible()).resolves.toBe(true);
    await expectGoodPage(page);
    const download = page.getByRole('link', { name: 'Download as a text file' });
    await expect(download.getAttribute('download')).resolves.toBe('gatehouse-recovery-codes.txt');

    await logOutFromNavigation(page);
    await logIn(page, user.username, user.password);
    expect(new URL(page.url()).pathname).toBe('/auth/mfa');
    await expectGoodPage(page);
    await screenshot(page, 'mfa-code-prompt');
    // Straight to the profile is refused while the second step is pending.
    await page.goto('/me');
    expect(new URL(page.url()).pathname).toBe('/auth/login');
    await logIn(page, user.username, user.password);

    await page.getByLabel('Code from your app').fill('000000' === codeFor(secret, 1) ? '111111' : '000000');
    await submit(page, page.getByRole('button', { name: 'Verify' }));
    await expect(page.locator('#error-summary').textContent()).resolves.toContain('That code is not correct');
    await expectGoodPage(page);
    // The code for the next step: the one that turned the app on is used up (no replay).
    await page.getByLabel('Code from your app').fill(codeFor(secret, 1));
    await submit(page, page.getByRole('button', { name: 'Verify' }));
    expect(new URL(page.url()).pathname).toBe('/me');
    await context.close();
  });

  test('with JavaScript off: set up, sign in with a recovery code, and confirm a sensitive action with the form kept', async () => {
    const user = await createUser(app);
    const { context, page } = await newPerson(chromium.browser, app, { javaScriptEnabled: false });
    await logIn(page, user.username, user.password);
    await page.goto('/me/security');
    await submit(page, page.getByRole('button', { name: 'Set up an authenticator app' }));
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
    await page.getByLabel('Code from your app').fill(codeFor(secret, 0));
    await submit(page, page.getByRole('button', { name: 'Turn on' }));
    const codes = await page.locator('.recovery-codes code').allTextContents();
    expect(codes).toHaveLength(10);

    await logOutFromNavigation(page);
    await logIn(page, user.username, user.password);
    await page.getByText('Use a recovery code').click();
    await page.getByLabel('Recovery code').fill(codes[0]!);
    await submit(page, page.getByRole('button', { name: 'Use this code' }));
    expect(new URL(page.url()).pathname).toBe('/me');
    await expect(flash(page).textContent()).resolves.toContain('9 of them are left');

    // Ten minutes on (moved in the database: the browser keeps real time), a sensitive action asks to confirm.
    const long = new Date(Date.now() - 11 * 60_000);
    await app.db('refresh_sessions').where({ user_id: user.internalId }).update({ auth_time: long, reauthenticated_at: null });
    await page.goto('/me/security');
    await submit(page, page.getByRole('button', { name: 'Make new recovery codes' }));
    await expect(page.getByRole('heading', { name: 'Confirm it is you' }).isVisible()).resolves.toBe(true);
    await page.getByLabel('Your password').fill(user.password);
    await submit(page, page.getByRole('button', { name: 'Confirm', exact: true }));
    // The held form went on to where it was going: the new codes.
    expect(new URL(page.url()).pathname).toBe('/me/security/recovery-codes');
    await expect(page.locator('.recovery-codes li').count()).resolves.toBe(10);
    await context.close();
  });
});
