import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDataKey } from '../../src/config/data-key';
import { ConfigError, loadConfig } from '../../src/config/env';
import { createDataCipher, SealError } from '../../src/lib/data-cipher';
import { normalizeRecoveryCode } from '../../src/services/recovery-codes.service';

const key = crypto.randomBytes(32);

describe('createDataCipher (AES-256-GCM)', () => {
  const cipher = createDataCipher(key);

  it('opens what it sealed, in the same context, and seals the same text differently each time', () => {
    const sealed = cipher.seal('JBSWY3DPEHPK3PXP', 'mfa_totp:7');
    expect(cipher.open(sealed, 'mfa_totp:7')).toBe('JBSWY3DPEHPK3PXP');
    expect(cipher.seal('JBSWY3DPEHPK3PXP', 'mfa_totp:7')).not.toBe(sealed);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(sealed.split('.')[1]).toBe(cipher.keyId);
  });

  it('refuses another context (a secret copied into another user\'s row), any altered byte, and another key', () => {
    const sealed = cipher.seal('secret', 'mfa_totp:7');
    expect(() => cipher.open(sealed, 'mfa_totp:8')).toThrow(SealError);
    const [version, kid, iv, body] = sealed.split('.') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => cipher.open([version, kid, iv, flipped.toString('base64url')].join('.'), 'mfa_totp:7')).toThrow(SealError);
    expect(() => cipher.open(`${sealed}.extra`, 'mfa_totp:7')).toThrow(SealError);
    expect(() => cipher.open('garbage', 'mfa_totp:7')).toThrow(SealError);
    expect(() => createDataCipher(crypto.randomBytes(32)).open(sealed, 'mfa_totp:7')).toThrow(SealError);
  });

  it('digests with a key of its own per purpose, never the plain value', () => {
    const digest = cipher.digest('1:ABCDE12345', 'recovery code');
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digest).toBe(cipher.digest('1:ABCDE12345', 'recovery code'));
    expect(digest).not.toBe(cipher.digest('1:ABCDE12345', 'other'));
    expect(digest).not.toBe(crypto.createHash('sha256').update('1:ABCDE12345').digest('hex'));
    expect(digest).not.toBe(createDataCipher(crypto.randomBytes(32)).digest('1:ABCDE12345', 'recovery code'));
  });

  it('takes only a 32-byte key', () => {
    expect(() => createDataCipher(crypto.randomBytes(16))).toThrow();
  });
});

describe('DATA_ENCRYPTION_KEY', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-data-key-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const prod = { NODE_ENV: 'production', APP_URL: 'https://a.example.test', SMTP_URL: 'smtp://mail.example.test' };

  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env, root, { requireKeyFiles: false });
    } catch (error) {
      return (error as ConfigError).problems;
    }
    return [];
  };

  it('is required in production, with one message naming it', () => {
    expect(problemsOf(prod)).toEqual([expect.stringMatching(/^DATA_ENCRYPTION_KEY is required in production/)]);
  });

  it.each(['short', Buffer.alloc(16).toString('base64'), Buffer.alloc(33).toString('base64'), `${Buffer.alloc(32).toString('base64')}x`])(
    'refuses %s: not 32 bytes of base64 (one message, in production too)', (value) => {
      expect(problemsOf({ DATA_ENCRYPTION_KEY: value })).toEqual([expect.stringMatching(/^DATA_ENCRYPTION_KEY must be 32 random bytes in base64/)]);
      expect(problemsOf({ ...prod, DATA_ENCRYPTION_KEY: value })).toHaveLength(1);
    });

  it('is read from the variable when set, standard or URL-safe base64', () => {
    const raw = crypto.randomBytes(32);
    expect(loadDataKey(loadConfig({ DATA_ENCRYPTION_KEY: raw.toString('base64') }, root))).toEqual(raw);
    expect(loadDataKey(loadConfig({ DATA_ENCRYPTION_KEY: raw.toString('base64url') }, root))).toEqual(raw);
  });

  it('in development is generated once into keys/data-encryption.key (owner-only) and read back the same', () => {
    const config = loadConfig({}, root);
    expect(() => loadDataKey(config)).toThrow(ConfigError);
    const first = loadDataKey(config, { generateIfMissing: true });
    const file = path.join(root, 'keys', 'data-encryption.key');
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    expect(loadDataKey(config, { generateIfMissing: true })).toEqual(first);
    expect(first).toHaveLength(32);
  });

  it('is never generated in production', () => {
    const dir = fs.mkdtempSync(path.join(root, 'prod-'));
    const config = loadConfig({ ...prod, DATA_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64') }, dir, { requireKeyFiles: false });
    expect(loadDataKey(config, { generateIfMissing: true })).toHaveLength(32);
    expect(fs.existsSync(path.join(dir, 'keys'))).toBe(false);
  });
});

describe('normalizeRecoveryCode', () => {
  it.each([
    ['ABCDE-12345', 'ABCDE12345'],
    ['abcde 12345', 'ABCDE12345'],
    [' ABCDE12345 ', 'ABCDE12345'],
    ['0O1IL-ABCDE', '00111ABCDE'],
  ])('reads %s as %s', (typed, code) => {
    expect(normalizeRecoveryCode(typed)).toBe(code);
  });

  it.each(['ABCDE-1234', 'ABCDE-123456', 'ABCDU-12345', '', 'ABCDE_12345!'])('refuses %j', (typed) => {
    expect(normalizeRecoveryCode(typed)).toBeUndefined();
  });
});
