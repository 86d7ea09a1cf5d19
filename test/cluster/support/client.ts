import http from 'node:http';
import https from 'node:https';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the test reads what it expects
}

export interface CallOptions {
  headers?: Record<string, string>;
  /** An object is sent as JSON, a URLSearchParams as a form. */
  body?: unknown;
  timeoutMs?: number;
}

/**
 * One HTTP(S) request with Node's own client, to an instance (http://127.0.0.1:PORT) or through
 * nginx (https://localhost:PORT, verified against the test's own certificate).
 */
export function call(base: string, method: string, path: string, options: CallOptions = {}, ca?: string): Promise<Reply> {
  const url = new URL(path, base);
  const { body } = options;
  const payload = body === undefined ? undefined
    : body instanceof URLSearchParams ? body.toString() : JSON.stringify(body);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) {
    headers['content-type'] ??= body instanceof URLSearchParams ? 'application/x-www-form-urlencoded' : 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method, headers, agent: false, ...(ca ? { ca } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 15_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/**
 * A browser in miniature: a cookie jar and the page's CSRF token, following no redirects. It
 * sends every cookie it holds to whichever instance it talks to, Secure ones over plain http
 * too: the instances are addressed directly on loopback, as nginx addresses them.
 */
export class Visitor {
  private readonly jar = new Map<string, string>();
  csrf: string | undefined;

  constructor(private readonly ca?: string) {}

  async get(base: string, path: string): Promise<Reply> {
    const reply = await call(base, 'GET', path, { headers: this.headers() }, this.ca);
    this.take(reply);
    return reply;
  }

  /** A form post, with the token of the last page loaded (as a browser's form carries it). */
  async submit(base: string, path: string, fields: Record<string, string>): Promise<Reply> {
    const body = new URLSearchParams({ _csrf: this.csrf ?? '', ...fields });
    const reply = await call(base, 'POST', path, { headers: this.headers(), body }, this.ca);
    this.take(reply);
    return reply;
  }

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  private headers(): Record<string, string> {
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    return cookie ? { cookie } : {};
  }

  private take(reply: Reply): void {
    for (const line of reply.headers['set-cookie'] ?? []) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired) this.jar.delete(name);
      else this.jar.set(name, pair.slice(at + 1));
    }
    this.csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(reply.text)?.[1] ?? this.csrf;
  }
}
