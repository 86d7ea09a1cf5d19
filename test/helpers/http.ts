import type { Response } from 'supertest';
import type { TestApp } from './make-app';

/** One Set-Cookie header, split into its name, value and attributes (attribute names lower-cased). */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
  raw: string;
}

export function parseSetCookies(res: Response): SetCookie[] {
  const header = res.headers['set-cookie'] as unknown;
  const lines = Array.isArray(header) ? (header as string[]) : typeof header === 'string' ? [header] : [];
  return lines.map((raw) => {
    const [pair = '', ...rest] = raw.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const attributes: Record<string, string | true> = {};
    for (const attribute of rest) {
      const at = attribute.indexOf('=');
      if (at === -1) attributes[attribute.toLowerCase()] = true;
      else attributes[attribute.slice(0, at).toLowerCase()] = attribute.slice(at + 1);
    }
    return { name: pair.slice(0, eq), value: decodeURIComponent(pair.slice(eq + 1)), attributes, raw };
  });
}

export function setCookie(res: Response, name: string): SetCookie | undefined {
  return parseSetCookies(res).find((cookie) => cookie.name === name);
}

/** True when a Set-Cookie header deletes the cookie (Max-Age=0 or an Expires in the past). */
export function isCleared(cookie: SetCookie | undefined): boolean {
  if (!cookie) return false;
  const { 'max-age': maxAge, expires } = cookie.attributes;
  if (maxAge !== undefined && Number(maxAge) <= 0) return true;
  return typeof expires === 'string' && new Date(expires).getTime() <= Date.now();
}

/** The audit event names written for a user, oldest first. */
export async function auditEventsOf(t: TestApp, userId: number | null): Promise<string[]> {
  const query = t.db('audit_events').orderBy('id');
  if (userId === null) query.whereNull('user_id');
  else query.where({ user_id: userId });
  return (await query.select('event')).map((row: { event: string }) => row.event);
}

export async function userRow(t: TestApp, where: Record<string, unknown>) {
  return t.db('users').where(where).first();
}

/** Asserts the JSON API's error envelope and returns it. */
export function errorEnvelope(res: Response): { code: string; message: string; fields?: Record<string, string> } {
  expect(res.type).toBe('application/json');
  expect(res.body).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
  return res.body.error;
}

/** The text of the field error shown next to `field` on a re-rendered form. */
export function fieldError(html: string, field: string): string | undefined {
  const match = new RegExp(`<p class="field-error" id="${field}-error">([^<]*)</p>`).exec(html);
  return match?.[1];
}

/** The value attribute of the input named `field`. */
export function inputValue(html: string, field: string): string | undefined {
  const match = new RegExp(`<input id="[^"]*" name="${field}" type="[^"]*"\\s+value="([^"]*)"`).exec(html);
  return match?.[1];
}

/**
 * Rate limits high enough that a suite making many requests from one address tests what it
 * means to test, not the limiter (which has its own suite).
 */
export const GENEROUS_LIMITS: Record<string, string> = {
  RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000',
  RATE_LIMIT_AUTH_PER_IP: '100000',
  RATE_LIMIT_REGISTER_PER_IP: '100000',
};

/** Every <form>…</form> on a page whose action is `action`, as HTML. */
export function formsPostingTo(html: string, action: string): string[] {
  const forms = html.match(/<form\b[^>]*>[\s\S]*?<\/form>/g) ?? [];
  return forms.filter((form) => new RegExp(`^<form\\b[^>]*\\baction="${action.replace(/[/.]/g, '\\$&')}"`).test(form));
}

/** The CSRF token a form carries, if it is a POST form with one. */
export function csrfOfForm(form: string): string | undefined {
  if (!/^<form\b[^>]*\bmethod="post"/i.test(form)) return undefined;
  return /<input type="hidden" name="_csrf" value="([^"]+)">/.exec(form)?.[1];
}

/** The number of rows a query matches, as a number on both engines. */
export async function countRows(query: { count(column: Record<string, string>): PromiseLike<unknown> }): Promise<number> {
  const rows = (await query.count({ n: '*' })) as { n: number | string }[];
  return Number(rows[0]?.n ?? 0);
}
