import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import type { Response } from 'supertest';
import type { Express } from 'express';

/** The CSRF token from a page's `<meta name="csrf-token">`. */
export function csrfFrom(html: string): string | undefined {
  return /<meta name="csrf-token" content="([^"]+)">/.exec(html)?.[1];
}

/**
 * A browser-like client: keeps cookies, sends the CSRF token from the last page it loaded,
 * and posts urlencoded forms as a browser does.
 */
export class Browser {
  readonly agent: TestAgent;
  csrf: string | undefined;

  constructor(app: Express, readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36') {
    this.agent = request.agent(app);
  }

  async get(path: string): Promise<Response> {
    const res = await this.agent.get(path).set('User-Agent', this.userAgent);
    this.csrf = csrfFrom(res.text) ?? this.csrf;
    return res;
  }

  /** Loads `fromPage` first when no token is known yet, as a user would open the form. */
  async submit(path: string, fields: Record<string, string> | string, fromPage = path): Promise<Response> {
    if (!this.csrf) await this.get(fromPage);
    const body = typeof fields === 'string'
      ? `${fields}&_csrf=${encodeURIComponent(this.csrf ?? '')}`
      : new URLSearchParams({ _csrf: this.csrf ?? '', ...fields }).toString();
    const res = await this.agent.post(path).set('User-Agent', this.userAgent).type('form').send(body);
    this.csrf = csrfFrom(res.text) ?? this.csrf;
    return res;
  }

  cookie(name: string): string | undefined {
    const jar = (this.agent as unknown as { jar: { getCookie(name: string, access: unknown): { value: string } | undefined } }).jar;
    return jar.getCookie(name, { domain: '127.0.0.1', path: '/', secure: false, script: false })?.value;
  }
}
