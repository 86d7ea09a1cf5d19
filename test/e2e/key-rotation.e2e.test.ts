import { retireKey, rotateKeys } from '../../src/cli/key-rotation';
import { KeyRing, loadKeys } from '../../src/config/keys';
import { createUser } from '../helpers/factories';
import { KeyDir, makeKeyDir } from '../helpers/key-dir';
import { launchChromium, RunningBrowser } from './support/chromium';
import { expectGoodPage, flash, logIn, newPerson, submit, visit } from './support/pages';
import { RunningApp, startApp } from './support/server';

let keyDir: KeyDir;
let ring: KeyRing;
let app: RunningApp;
let chromium: RunningBrowser;

beforeAll(async () => {
  keyDir = makeKeyDir('ES256');
  ring = loadKeys(keyDir.config());
  [app, chromium] = await Promise.all([startApp(keyDir.env, { keys: ring }), launchChromium()]);
});

afterAll(async () => {
  await chromium?.close();
  await app?.stop();
  keyDir?.cleanup();
});

/** npm run keys:rotate, and the running instance's next reload. */
async function rotate() {
  const rotation = rotateKeys(keyDir.config());
  expect(await ring.reload()).toMatchObject({ status: 'changed', kid: rotation.kid });
  return rotation;
}

describe('a signing key rotation in a real browser', () => {
  test('a profile form opened before keys:rotate is saved after it, the user stays signed in, and the saved message shows', async () => {
    const user = await createUser(app, { first_name: 'Before' });
    const { context, page } = await newPerson(chromium.browser, app);
    await logIn(page, user.username, user.password);
    await visit(page, '/me');
    await page.getByLabel('First name').fill('After');

    const { previousKid } = await rotate();
    await submit(page, page.getByRole('button', { name: 'Save profile' }));
    expect(new URL(page.url()).pathname).toBe('/me');
    await expectGoodPage(page);
    await expect(flash(page).textContent()).resolves.toContain('Your profile has been updated.');
    await expect(page.getByLabel('First name').inputValue()).resolves.toBe('After');
    expect((await app.db('users').where({ id: user.internalId }).first()).first_name).toBe('After');

    // Once the old key is retired by force, its session ends: the next page asks to sign in.
    retireKey(keyDir.config(), previousKid, { force: true });
    await ring.reload();
    await page.goto('/me');
    expect(new URL(page.url()).pathname).toBe('/auth/login');
    await expectGoodPage(page);
    await logIn(page, user.username, user.password, '/auth/login?next=%2Fme');
    expect(new URL(page.url()).pathname).toBe('/me');
    await context.close();
  });
});
