import request from 'supertest';
import { Browser } from './browser';
import { apiLogin, UserFixture } from './factories';
import type { TestApp } from './make-app';
import { totpCode } from './totp';

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Turns the authenticator app on through the JSON API, as a client would: returns the secret and the recovery codes. */
export async function enableTotp(t: TestApp, user: UserFixture): Promise<{ secret: string; recoveryCodes: string[]; accessToken: string }> {
  const { access_token: accessToken } = await apiLogin(t, user);
  const start = await request(t.app).post('/api/me/mfa/totp').set(bearer(accessToken)).send({ current_password: user.password });
  if (start.status !== 200) throw new Error(`TOTP setup failed with ${start.status}`);
  const confirm = await request(t.app).post('/api/me/mfa/totp/confirm').set(bearer(accessToken)).send({ code: totpCode(start.body.secret, t.clock) });
  if (confirm.status !== 200) throw new Error(`TOTP confirmation failed with ${confirm.status}`);
  // The confirming code's time step is used up: later codes in a test come from the next step.
  t.clock.advance(30);
  return { secret: start.body.secret, recoveryCodes: confirm.body.recovery_codes, accessToken };
}

/** The JSON login's first step for a user with a second factor: the mfa_token. */
export async function mfaTokenOf(t: TestApp, user: UserFixture): Promise<string> {
  const res = await request(t.app).post('/api/auth/login').send({ login: user.username, password: user.password });
  if (res.status !== 200 || res.body.mfa_required !== true) throw new Error(`expected a second step, got ${res.status}`);
  return res.body.mfa_token;
}

/** The secret shown on the setup page (grouped by four for reading). */
export function secretOnPage(html: string): string {
  const match = /<code class="secret" id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(html);
  if (!match?.[1]) throw new Error('no secret on the page');
  return match[1].replace(/ /g, '');
}

/** The recovery codes listed on the page that shows them once. */
export function codesOnPage(html: string): string[] {
  return [...html.matchAll(/<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})<\/code><\/li>/g)].map((match) => match[1] ?? '');
}

/** Logs in through the form to the code prompt (the pending-login cookie set, no session). */
export async function passwordStep(t: TestApp, user: UserFixture, browser = new Browser(t.app)) {
  const res = await browser.submit('/auth/login', { login: user.username, password: user.password }, '/auth/login');
  return { browser, res };
}
