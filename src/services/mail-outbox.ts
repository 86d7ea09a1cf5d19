import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Transport } from 'nodemailer';

/** A mail as the development outbox keeps it, one JSON file per message. */
export interface OutboxMail {
  id: string;
  date: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Names are `<ms since epoch>-<random hex>`: sortable, and safe to take from a URL once matched. */
const OUTBOX_ID = /^\d{13}-[0-9a-f]{8}$/;
const LIST_LIMIT = 100;

function addressText(value: unknown): string {
  if (Array.isArray(value)) return value.map(addressText).join(', ');
  if (value && typeof value === 'object' && 'address' in value) {
    const { name, address } = value as { name?: string; address: string };
    return name ? `${name} <${address}>` : address;
  }
  return typeof value === 'string' ? value : '';
}

/**
 * A nodemailer transport that writes each message to a file instead of sending it: the
 * development and test stand-in for SMTP. Never used in production (config refuses to start
 * there without SMTP_URL).
 */
export function createOutboxTransport(dir: string): Transport<{ messageId: string; envelope: unknown }> {
  return {
    name: 'gatehouse-outbox',
    version: '1',
    send(mail, callback) {
      const data = mail.data;
      const id = `${Date.now()}-${crypto.randomBytes(4).toString('hex')}`;
      const entry: OutboxMail = {
        id,
        date: new Date().toISOString(),
        from: addressText(data.from),
        to: addressText(data.to),
        subject: String(data.subject ?? ''),
        text: String(data.text ?? ''),
        html: String(data.html ?? ''),
      };
      fs.mkdir(dir, { recursive: true })
        .then(() => fs.writeFile(path.join(dir, `${id}.json`), JSON.stringify(entry, null, 2), { mode: 0o600 }))
        .then(() => callback(null, { messageId: `<${id}@outbox>`, envelope: mail.message.getEnvelope() }))
        .catch((error: Error) => callback(error, undefined as never));
    },
  };
}

/** The newest mails first. */
export async function listOutbox(dir: string): Promise<OutboxMail[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const ids = names.filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -5)).filter((id) => OUTBOX_ID.test(id));
  ids.sort().reverse();
  const mails = await Promise.all(ids.slice(0, LIST_LIMIT).map((id) => readOutboxMail(dir, id)));
  return mails.filter((mail): mail is OutboxMail => mail !== undefined);
}

export async function readOutboxMail(dir: string, id: string): Promise<OutboxMail | undefined> {
  if (!OUTBOX_ID.test(id)) return undefined;
  try {
    return JSON.parse(await fs.readFile(path.join(dir, `${id}.json`), 'utf8')) as OutboxMail;
  } catch {
    return undefined;
  }
}
