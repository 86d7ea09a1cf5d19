import crypto from 'node:crypto';

/** A sealed value that is not ours, was altered, or belongs to another context. */
export class SealError extends Error {
  constructor() {
    super('sealed value cannot be opened');
  }
}

export interface DataCipher {
  /** Key id of the data key: a sealed value names the key it was sealed with. */
  readonly keyId: string;
  /**
   * AES-256-GCM with a fresh 96-bit IV. `context` is authenticated but not stored (GCM's
   * associated data): a value sealed for one row, user or session does not open in another.
   */
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
  /** HMAC-SHA256 under a key of its own per purpose: for secrets looked up by equality (recovery codes). */
  digest(value: string, purpose: string): string;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

function subkey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', master, 'gatehouse data', purpose, 32));
}

/** Every key in use is derived from DATA_ENCRYPTION_KEY with HKDF, one per purpose, never the key itself. */
export function createDataCipher(master: Buffer): DataCipher {
  if (master.length !== 32) throw new Error('the data key must be 32 bytes');
  const sealKey = subkey(master, 'seal');
  const keyId = crypto.createHash('sha256').update(subkey(master, 'key id')).digest('base64url').slice(0, 8);
  const digestKeys = new Map<string, Buffer>();

  return {
    keyId,

    seal(plaintext, context) {
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', sealKey, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return [VERSION, keyId, iv.toString('base64url'), body.toString('base64url')].join('.');
    },

    open(sealed, context) {
      const [version, kid, ivText, bodyText, extra] = sealed.split('.');
      if (version !== VERSION || kid !== keyId || !ivText || !bodyText || extra !== undefined) throw new SealError();
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SealError();
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', sealKey, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SealError();
      }
    },

    digest(value, purpose) {
      let key = digestKeys.get(purpose);
      if (!key) {
        key = subkey(master, `digest ${purpose}`);
        digestKeys.set(purpose, key);
      }
      return crypto.createHmac('sha256', key).update(value, 'utf8').digest('hex');
    },
  };
}
