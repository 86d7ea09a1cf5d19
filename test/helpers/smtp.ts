import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A mail as a real SMTP server received it, decoded just enough to read and follow. */
export interface CapturedMail {
  /** Envelope recipients (RCPT TO), lower-cased. */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
}

export interface TestSmtp {
  /** SMTP_URL for the app under test. */
  url: string;
  /** Every mail received so far, in order. */
  readonly mails: CapturedMail[];
  mailsTo(address: string): CapturedMail[];
  /** The next mail to `address` matching `subject` (if given) not yet taken by an earlier call; waits up to 5 s. */
  next(address: string, subject?: string | RegExp): Promise<CapturedMail>;
  /** While true, every recipient is refused with a temporary error (451) that quotes its address, as real relays do. */
  refusing: boolean;
  close(): Promise<void>;
}

/**
 * A real SMTP server (smoke's smtp-server) on a free loopback port: the app's nodemailer
 * transport talks SMTP to it exactly as it would to a relay. No TLS, no auth.
 */
export async function startSmtpServer(): Promise<TestSmtp> {
  const mails: CapturedMail[] = [];
  const taken = new Set<CapturedMail>();
  const waiters = new Set<() => void>();

  const control = { refusing: false };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!control.refusing) return callback();
      const error = Object.assign(new Error(`<${address.address}>: mailbox temporarily unavailable`), { responseCode: 451 });
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const rcpt = session.envelope.rcptTo.map((entry) => entry.address.toLowerCase());
        mails.push({ ...parseMessage(raw), to: rcpt, raw });
        for (const resolve of waiters) resolve();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();

  const matches = (mail: CapturedMail, address: string, subject?: string | RegExp) =>
    mail.to.includes(address.toLowerCase()) && (subject === undefined || (typeof subject === 'string' ? mail.subject === subject : subject.test(mail.subject)));

  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    get refusing() {
      return control.refusing;
    },
    set refusing(value: boolean) {
      control.refusing = value;
    },
    mailsTo: (address) => mails.filter((mail) => mail.to.includes(address.toLowerCase())),
    async next(address, subject) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const found = mails.find((mail) => !taken.has(mail) && matches(mail, address, subject));
        if (found) {
          taken.add(found);
          return found;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no mail to ${address}${subject ? ` (${String(subject)})` : ''} within 5 s`);
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, left);
          waiters.add(done);
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The path and query of the first link in the mail's text that goes to `pathname`, e.g. "/auth/verify?token=…". */
export function linkIn(mail: CapturedMail, pathname: string): string {
  for (const match of mail.text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    const url = new URL(match[0]);
    if (url.pathname === pathname) return `${url.pathname}${url.search}`;
  }
  throw new Error(`no link to ${pathname} in "${mail.subject}"`);
}

/** The token of a link returned by linkIn. */
export function tokenOf(link: string): string {
  return new URL(link, 'http://x').searchParams.get('token') ?? '';
}

// --- A small MIME reader: enough for nodemailer's text + html alternatives. ---

function splitHead(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.indexOf('\r\n\r\n');
  const head = at === -1 ? raw : raw.slice(0, at);
  const body = at === -1 ? '' : raw.slice(at + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => `%${hex}`);
      return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
    }
    default:
      return body;
  }
}

/** RFC 2047 encoded words, as nodemailer writes non-ASCII subjects (the space between two adjacent words is not text). */
function decodeWords(value: string): string {
  return value.replace(/(\?=)\s+(?==\?utf-8\?)/gi, '$1').replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_m, kind: string, text: string) =>
    kind.toLowerCase() === 'b' ? Buffer.from(text, 'base64').toString('utf8') : decodeBody(text.replace(/_/g, ' '), 'quoted-printable'));
}

function collectParts(raw: string, into: { text: string; html: string }): void {
  const { headers, body } = splitHead(raw);
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break;
      collectParts(part.replace(/^\r\n/, ''), into);
    }
    return;
  }
  const decoded = decodeBody(body, headers.get('content-transfer-encoding'));
  if (type.toLowerCase().startsWith('text/html')) into.html = decoded;
  else if (type.toLowerCase().startsWith('text/plain')) into.text = decoded;
}

function parseMessage(raw: string): Omit<CapturedMail, 'to' | 'raw'> {
  const { headers } = splitHead(raw);
  const parts = { text: '', html: '' };
  collectParts(raw, parts);
  return { from: headers.get('from') ?? '', subject: decodeWords(headers.get('subject') ?? ''), ...parts };
}
