import crypto from 'node:crypto';
import bcrypt from 'bcrypt';
import { isCommonPassword } from '../lib/common-passwords';
import { msg, MessageRef } from '../lib/i18n';
import { bcryptSlots, createLimiter } from '../lib/threadpool';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

export const PASSWORD_MESSAGES = {
  tooShort: msg('validation.password.tooShort', { min: PASSWORD_MIN_LENGTH }),
  tooLong: msg('validation.password.tooLong', { max: PASSWORD_MAX_LENGTH }),
  sameAsIdentity: msg('validation.password.sameAsIdentity'),
  common: msg('validation.password.common'),
} as const;

export interface PasswordService {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /**
   * Spends the same time as a real verify against a throw-away hash, so an unknown username
   * takes as long to refuse as a wrong password.
   */
  verifyAgainstDummy(password: string): Promise<false>;
  /**
   * Called at start-up: prepares the dummy hash and the common-password list, so neither the
   * first unknown-user login nor the first registration pays for building them.
   */
  warmUp(): Promise<void>;
}

/** NFKC, so the same password typed on two keyboards (full-width, composed accents) is the same. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * bcrypt reads only the first 72 bytes and stops at a NUL byte. Like passlib's bcrypt_sha256,
 * the password is first reduced to HMAC-SHA256 keyed with this hash's own salt, base64-encoded:
 * 44 bytes, never a NUL, and every byte of the password counts.
 */
function prehash(password: string, salt: string): string {
  return crypto.createHmac('sha256', salt).update(normalizePassword(password), 'utf8').digest('base64');
}

const BCRYPT_SALT_LENGTH = 29; // "$2b$12$" + 22 characters of salt

/** One queue per process, as libuv's pool is: bcrypt never fills the pool (see lib/threadpool.ts). */
const inBcryptQueue = createLimiter(bcryptSlots());

export function createPasswordService(cost: number): PasswordService {
  let dummyHash: Promise<string> | undefined;
  const dummy = () => (dummyHash ??= service.hash(crypto.randomBytes(32).toString('hex')));

  const service: PasswordService = {
    async hash(password) {
      const salt = await bcrypt.genSalt(cost);
      return inBcryptQueue(() => bcrypt.hash(prehash(password, salt), salt));
    },
    async verify(password, hash) {
      if (hash.length < BCRYPT_SALT_LENGTH) return false;
      return inBcryptQueue(() => bcrypt.compare(prehash(password, hash.slice(0, BCRYPT_SALT_LENGTH)), hash));
    },
    async verifyAgainstDummy(password) {
      await service.verify(password, await dummy());
      return false;
    },
    async warmUp() {
      isCommonPassword('');
      await dummy();
    },
  };
  return service;
}

/**
 * The password rules shared by registration, password change and reset. Returns the message
 * to show at the field, or undefined when the password is acceptable.
 */
export function checkPasswordPolicy(password: string, identity: { username?: string; email?: string }): MessageRef | undefined {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < PASSWORD_MIN_LENGTH) return PASSWORD_MESSAGES.tooShort;
  if (length > PASSWORD_MAX_LENGTH) return PASSWORD_MESSAGES.tooLong;
  const lowered = normalized.toLowerCase();
  if ([identity.username, identity.email].some((value) => value && value.toLowerCase() === lowered)) {
    return PASSWORD_MESSAGES.sameAsIdentity;
  }
  if (isCommonPassword(lowered)) return PASSWORD_MESSAGES.common;
  return undefined;
}
