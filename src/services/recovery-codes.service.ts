import crypto from 'node:crypto';
import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import type { DataCipher } from '../lib/data-cipher';
import * as Codes from '../models/recovery-code.model';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 10; // 50 bits each

/**
 * A code as typed, in its canonical form: case, spaces and dashes ignored, and the letters
 * people mistake for digits read as those digits. Undefined when it cannot be a code.
 */
export function normalizeRecoveryCode(typed: string): string | undefined {
  const code = typed.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  return code.length === CODE_LENGTH && [...code].every((char) => ALPHABET.includes(char)) ? code : undefined;
}

function newCode(): string {
  const chars = Array.from({ length: CODE_LENGTH }, () => ALPHABET[crypto.randomInt(ALPHABET.length)]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

export interface RecoveryCodeService {
  /** A new set of codes (the old set stops working); the plain codes exist only in this answer. */
  generate(userId: number, trx: Db): Promise<string[]>;
  /** Uses a code once. False for a wrong, used or malformed code. */
  use(userId: number, typed: string, trx?: Db): Promise<boolean>;
  countLeft(userId: number, trx?: Db): Promise<number>;
  remove(userId: number, trx: Db): Promise<void>;
}

/**
 * Codes are stored as HMAC-SHA256 digests keyed from DATA_ENCRYPTION_KEY, with the user in the
 * input: a lookup by equality (no comparison loop to time), and a stolen database alone is not
 * enough to test guesses offline, as it would be against a plain hash of 50 bits.
 */
export function createRecoveryCodeService(deps: { db: Db; cipher: DataCipher; clock: Clock }): RecoveryCodeService {
  const { db, cipher, clock } = deps;
  const digestOf = (userId: number, code: string) => cipher.digest(`${userId}:${code}`, 'recovery code');

  return {
    async generate(userId, trx) {
      const codes = new Set<string>();
      while (codes.size < RECOVERY_CODE_COUNT) codes.add(newCode());
      const plain = [...codes];
      await Codes.replaceRecoveryCodes(trx, userId, plain.map((code) => digestOf(userId, normalizeRecoveryCode(code) ?? code)), clock.now());
      return plain;
    },

    async use(userId, typed, trx = db) {
      const code = normalizeRecoveryCode(typed);
      return code !== undefined && Codes.useRecoveryCode(trx, userId, digestOf(userId, code), clock.now());
    },

    countLeft(userId, trx = db) {
      return Codes.countUnusedRecoveryCodes(trx, userId);
    },

    async remove(userId, trx) {
      await Codes.deleteRecoveryCodes(trx, userId);
    },
  };
}
