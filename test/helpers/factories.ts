import crypto from 'node:crypto';
import request from 'supertest';
import * as Users from '../../src/models/user.model';
import { Browser } from './browser';
import type { TestApp } from './make-app';

export const DEFAULT_PASSWORD = 'correct horse battery staple';

export interface UserFixture {
  id: string;
  internalId: number;
  username: string;
  email: string;
  password: string;
}

export function userInput(overrides: Partial<Record<string, string>> = {}) {
  const tag = crypto.randomBytes(4).toString('hex');
  return {
    username: `user_${tag}`,
    email: `user_${tag}@example.test`,
    password: DEFAULT_PASSWORD,
    ...overrides,
  };
}

/** Creates a user through the real registration service, then grants roles directly. */
export async function createUser(
  t: TestApp,
  options: Partial<Record<'username' | 'email' | 'password' | 'first_name', string>> & { roles?: Partial<Record<'is_reader' | 'is_author' | 'is_admin' | 'is_active', boolean>> } = {},
): Promise<UserFixture> {
  const { roles, ...fields } = options;
  const input = userInput(fields);
  const user = await t.app.services.auth.register(input, { ip: '127.0.0.1', userAgent: 'factory' });
  if (roles) await Users.updateUser(t.db, user.id, roles, t.clock.now());
  return { id: user.public_id, internalId: user.id, username: user.username, email: user.email, password: input.password };
}

/**
 * A browser signed in through the login form, with "Remember me" ticked: a persistent session
 * for REFRESH_TOKEN_TTL, which tests moving the clock by days rely on (test/flows/account-activity.flows.ts
 * tests the unticked box).
 */
export async function signIn(t: TestApp, user: Pick<UserFixture, 'username' | 'password'>, userAgent?: string): Promise<Browser> {
  const browser = new Browser(t.app, userAgent);
  const res = await browser.submit('/auth/login', { login: user.username, password: user.password, remember: '1' });
  if (res.status !== 303) throw new Error(`sign-in failed with ${res.status}`);
  return browser;
}

/** Tokens from the JSON API's login. */
export async function apiLogin(t: TestApp, user: Pick<UserFixture, 'username' | 'password'>) {
  const res = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
  if (res.status !== 200) throw new Error(`API login failed with ${res.status}`);
  return res.body as { access_token: string; refresh_token: string; expires_in: number };
}

/**
 * "Confirm it's you" with the password (sudo mode), as the confirm page does: sensitive actions
 * then pass for ten minutes of the test clock.
 */
export async function confirmIdentity(browser: Browser, password: string): Promise<void> {
  await browser.get('/me/confirm');
  const res = await browser.submit('/me/confirm', { current_password: password, return_to: '/me' });
  if (res.status !== 303) throw new Error(`confirming failed with ${res.status}`);
}
