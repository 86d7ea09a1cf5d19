import { generateSecret, generateURI, verifySync } from 'otplib';
import QRCode from 'qrcode';
import type { Db } from '../db/knex';
import { Clock, secondsSinceEpoch } from '../lib/clock';
import { DataCipher, SealError } from '../lib/data-cipher';
import * as Totp from '../models/totp.model';

/** RFC 6238 as every authenticator app does it: SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
/** ±1 step of clock drift between the phone and the server. */
const DRIFT_SECONDS = PERIOD_SECONDS;
const ISSUER = 'Gatehouse';

export interface TotpSetup {
  secret: string;
  otpauthUrl: string;
}

export interface TotpService {
  /** A new secret, sealed and stored as pending (replacing an unconfirmed one): not yet a second factor. */
  beginSetup(userId: number, username: string, trx?: Db): Promise<TotpSetup>;
  /** The unconfirmed setup, for showing its QR code again; null when there is none. */
  pendingSetup(userId: number, username: string, trx?: Db): Promise<TotpSetup | null>;
  qrCode(otpauthUrl: string): Promise<string>;
  isEnabled(userId: number, trx?: Db): Promise<boolean>;
  /** The first code from the app turns the pending setup on. */
  confirm(userId: number, code: string, trx?: Db): Promise<boolean>;
  /**
   * A code from the confirmed app, accepted once: a code, or any code of an earlier time step,
   * is refused after a later one was used (RFC 6238 section 5.2).
   */
  verify(userId: number, code: string, trx?: Db): Promise<boolean>;
  remove(userId: number, trx: Db): Promise<boolean>;
}

export function createTotpService(deps: { db: Db; cipher: DataCipher; clock: Clock }): TotpService {
  const { db, cipher, clock } = deps;
  // The row id is part of the sealed secret's context: a secret copied into another row does not open.
  const contextOf = (userId: number) => `mfa_totp:${userId}`;
  const setupOf = (secret: string, username: string): TotpSetup => ({
    secret,
    otpauthUrl: generateURI({ issuer: ISSUER, label: username, secret, period: PERIOD_SECONDS, digits: 6, algorithm: 'sha1' }),
  });

  function openSecret(row: Totp.TotpRow, userId: number): string {
    try {
      return cipher.open(row.secret_sealed, contextOf(userId));
    } catch (error) {
      // Sealed under another DATA_ENCRYPTION_KEY: a deployment problem, for the log (a 500), not the user.
      if (error instanceof SealError) throw new Error('a TOTP secret does not open with this DATA_ENCRYPTION_KEY');
      throw error;
    }
  }

  /** The step a code matches, within the drift and after the last step used; undefined otherwise. */
  function matchingStep(row: Totp.TotpRow, userId: number, code: string): number | undefined {
    const secret = openSecret(row, userId);
    const result = verifySync({
      secret,
      token: code,
      epoch: secondsSinceEpoch(clock),
      period: PERIOD_SECONDS,
      epochTolerance: DRIFT_SECONDS,
      ...(row.last_used_step === null ? {} : { afterTimeStep: row.last_used_step }),
    });
    return result.valid && 'timeStep' in result ? result.timeStep : undefined;
  }

  async function accept(userId: number, code: string, confirming: boolean, trx: Db): Promise<boolean> {
    const row = await Totp.findTotpOfUser(trx, userId);
    if (!row || (row.confirmed_at === null) !== confirming) return false;
    const step = matchingStep(row, userId, code);
    return step !== undefined && Totp.claimTotpStep(trx, row.id, step, clock.now(), confirming);
  }

  return {
    async beginSetup(userId, username, trx = db) {
      const secret = generateSecret({ length: 20 });
      await Totp.replacePendingTotp(trx, userId, cipher.seal(secret, contextOf(userId)), clock.now());
      return setupOf(secret, username);
    },

    async pendingSetup(userId, username, trx = db) {
      const row = await Totp.findTotpOfUser(trx, userId);
      if (!row || row.confirmed_at !== null) return null;
      return setupOf(openSecret(row, userId), username);
    },

    qrCode(otpauthUrl) {
      return QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    },

    async isEnabled(userId, trx = db) {
      const row = await Totp.findTotpOfUser(trx, userId);
      return Boolean(row?.confirmed_at);
    },

    confirm(userId, code, trx = db) {
      return accept(userId, code, true, trx);
    },

    verify(userId, code, trx = db) {
      return accept(userId, code, false, trx);
    },

    async remove(userId, trx) {
      return (await Totp.deleteTotpOfUser(trx, userId)) > 0;
    },
  };
}
