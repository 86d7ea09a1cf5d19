import { createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { launchChromium, RunningBrowser } from './support/chromium';
import { errorSummary, expectGoodPage, flash, focusedId, logIn, logOutFromNavigation, newPerson, screenshot, submit, visit } from './support/pages';
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

describe('registration, login and logout in a real browser', () => {
  test('a visitor registers from the home page, fixes the form once, and lands on /me with a welcome message', async () => {
    const { context, page } = await newPerson(chromium.browser, app);
    await visit(page, '/');
    await submit(page, page.getByRole('link', { name: 'Create an account' }).first());
    expect(new URL(page.url()).pathname).toBe('/auth/register');
    await expectGoodPage(page);

    // A first try with a password that does not match its confirmation.
    await page.getByLabel('Username', { exact: true }).fill('ada_lovelace');
    await page.getByLabel('Email address', { exact: true }).fill('ada@example.test');
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Password', { exact: true }).fill(DEFAULT_PASSWORD);
    await page.getByLabel('Confirm password', { exact: true }).fill('something else entirely');
    await submit(page, page.getByRole('button', { name: 'Create account' }));

    await expectGoodPage(page);
    await expect(errorSummary(page).isVisible()).resolves.toBe(true);
    await expect(focusedId(page)).resolves.toBe('error-summary');
    const confirmation = page.getByLabel('Confirm password', { exact: true });
    await expect(confirmation.getAttribute('aria-invalid')).resolves.toBe('true');
    const describedBy = (await confirmation.getAttribute('aria-describedby')) ?? '';
    const fieldMessage = await page.locator(`#${describedBy.split(' ').pop()}`).textContent();
    expect(fieldMessage).toMatch(/match/i);
    // What was typed comes back, except the passwords.
    await expect(page.getByLabel('Username', { exact: true }).inputValue()).resolves.toBe('ada_lovelace');
    await expect(page.getByLabel('Email address', { exact: true }).inputValue()).resolves.toBe('ada@example.test');
    await expect(page.getByLabel('Password', { exact: true }).inputValue()).resolves.toBe('');
    await expect(confirmation.inputValue()).resolves.toBe('');
    await screenshot(page, 'register-with-errors');

    await page.getByLabel('Password', { exact: true }).fill(DEFAULT_PASSWORD);
    await confirmation.fill(DEFAULT_PASSWORD);
    await submit(page, page.getByRole('button', { name: 'Create account' }));

    expect(new URL(page.url()).pathname).toBe('/me');
    await expect(flash(page).textContent()).resolves.toContain('Welcome, Ada!');
    await expect(page.getByRole('navigation', { name: 'Main' }).textContent()).resolves.toContain('ada_lovelace');
    await expectGoodPage(page);
    await screenshot(page, 'register-welcome');

    // Shown once: the next page has no welcome.
    await visit(page, '/me');
    await expect(flash(page).count()).resolves.toBe(0);
    await context.close();
  });

  test('the "Log out" link in the navigation logs out and shows the login page with a "logged out" message', async () => {
    const user = await createUser(app);
    const { context, page } = await newPerson(chromium.browser, app);
    await logIn(page, user.username, user.password);
    expect(new URL(page.url()).pathname).toBe('/me');

    await logOutFromNavigation(page);

    expect(new URL(page.url()).pathname).toBe('/auth/login');
    await expect(flash(page).textContent()).resolves.toMatch(/logged out/i);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByRole('link', { name: 'Log in' }).isVisible()).resolves.toBe(true);
    await expect(nav.getByRole('button', { name: 'Log out' }).count()).resolves.toBe(0);
    await expectGoodPage(page);
    await screenshot(page, 'logged-out');

    // Really out: a protected page sends the browser back to the login form.
    await page.goto('/me');
    expect(new URL(page.url()).pathname).toBe('/auth/login');
    await context.close();
  });

  test('the typed-URL logout page offers a button that logs out', async () => {
    const user = await createUser(app);
    const { context, page } = await newPerson(chromium.browser, app);
    await logIn(page, user.username, user.password);

    await visit(page, '/auth/logout');
    await expect(page.getByRole('main').textContent()).resolves.toContain(user.username);
    await screenshot(page, 'logout-page');
    await submit(page, page.getByRole('main').getByRole('button', { name: 'Log out' }));

    expect(new URL(page.url()).pathname).toBe('/auth/login');
    await expect(flash(page).textContent()).resolves.toMatch(/logged out/i);
    await context.close();
  });

  test('a visitor sent to the login form from a protected page comes back to that page after logging in', async () => {
    const user = await createUser(app);
    const { context, page } = await newPerson(chromium.browser, app);

    await page.goto('/me/sessions');
    const login = new URL(page.url());
    expect(login.pathname).toBe('/auth/login');
    expect(login.searchParams.get('next')).toBe('/me/sessions');
    await expectGoodPage(page);

    await page.getByLabel('Username or email').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await submit(page, page.getByRole('main').getByRole('button', { name: 'Log in' }));

    expect(new URL(page.url()).pathname).toBe('/me/sessions');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Your sessions');
    await expectGoodPage(page);
    await screenshot(page, 'login-next');
    await context.close();
  });

  test('a wrong password shows the one generic message at the top, focused, with the login kept and the password cleared', async () => {
    const user = await createUser(app);
    const { context, page } = await newPerson(chromium.browser, app);

    await logIn(page, user.username, 'not the password at all');

    expect(new URL(page.url()).pathname).toBe('/auth/login');
    await expect(errorSummary(page).textContent()).resolves.toContain('Incorrect username or password');
    await expect(focusedId(page)).resolves.toBe('error-summary');
    await expect(page.getByLabel('Username or email').inputValue()).resolves.toBe(user.username);
    await expect(page.getByLabel('Password', { exact: true }).inputValue()).resolves.toBe('');
    await expectGoodPage(page);
    await screenshot(page, 'login-wrong-password');

    // An unknown account reads exactly the same.
    await logIn(page, 'nobody_by_this_name', 'not the password at all');
    await expect(errorSummary(page).textContent()).resolves.toContain('Incorrect username or password');
    await context.close();
  });

  test('with JavaScript turned off, the forms still work: errors come back at the top and at the field, and registering signs in', async () => {
    const { context, page } = await newPerson(chromium.browser, app, { javaScriptEnabled: false });
    await page.goto('/auth/register');
    await expect(page.getByRole('button', { name: 'Show password' }).count()).resolves.toBe(0);
    await page.getByLabel('Username', { exact: true }).fill('no_script_sam');
    await page.getByLabel('Email address', { exact: true }).fill('not-an-email');
    await page.getByLabel('Password', { exact: true }).fill(DEFAULT_PASSWORD);
    await page.getByLabel('Confirm password', { exact: true }).fill(DEFAULT_PASSWORD);
    await submit(page, page.getByRole('button', { name: 'Create account' }));

    await expect(errorSummary(page).isVisible()).resolves.toBe(true);
    await expect(errorSummary(page).getAttribute('autofocus')).resolves.not.toBeNull();
    await expect(page.getByLabel('Email address', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.getByLabel('Username', { exact: true }).inputValue()).resolves.toBe('no_script_sam');

    await page.getByLabel('Email address', { exact: true }).fill('sam@example.test');
    await page.getByLabel('Password', { exact: true }).fill(DEFAULT_PASSWORD);
    await page.getByLabel('Confirm password', { exact: true }).fill(DEFAULT_PASSWORD);
    await submit(page, page.getByRole('button', { name: 'Create account' }));
    expect(new URL(page.url()).pathname).toBe('/me');
    await expect(flash(page).textContent()).resolves.toContain('Welcome, no_script_sam!');

    await logOutFromNavigation(page);
    await expect(flash(page).textContent()).resolves.toMatch(/logged out/i);
    await context.close();
  });

  test('the show-password toggle reveals and hides what was typed without changing the form', async () => {
    const { context, page } = await newPerson(chromium.browser, app);
    await visit(page, '/auth/login');
    const password = page.getByLabel('Password', { exact: true });
    const toggle = page.getByRole('button', { name: 'Show password' });
    await password.fill('hunter2 hunter2');

    await toggle.click();
    await expect(password.getAttribute('type')).resolves.toBe('text');
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('true');
    await toggle.click();
    await expect(password.getAttribute('type')).resolves.toBe('password');
    await expect(password.inputValue()).resolves.toBe('hunter2 hunter2');
    expect(page.url()).toContain('/auth/login');
    await context.close();
  });
});
