import crypto from 'node:crypto';
import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import { deviceLabel } from '../lib/device-label';
import { msg } from '../lib/i18n';
import type { RequestMeta } from '../lib/request-meta';
import * as Devices from '../models/known-device.model';
import type { UserRow } from '../models/user.model';
import type { AuditService } from './audit.service';
import { mailLanguage, MailService, recipientLocals } from './mail.service';

/** The device cookie lives this long (Chrome's cap on any cookie's lifetime). */
export const DEVICE_COOKIE_DAYS = 400;
/** At most this many new-sign-in mails per account per hour: a burst of new browsers is one warning, not a flood. */
export const ALERTS_PER_HOUR = 3;

const DEVICE_ID = /^[A-Za-z0-9_-]{43}$/;

/** How a sign-in reached us from a browser: its device cookie, if it had one, and the "Remember me" box. */
export interface BrowserSignIn {
  deviceId?: string;
  remembered: boolean;
}

export interface DeviceService {
  /**
   * Inside the sign-in's transaction: knows the browser from now on and, when the account has
   * signed in elsewhere before and this browser never, writes the new-sign-in mail to the
   * outbox in the same transaction. Returns the device id for the browser's cookie.
   */
  signedIn(user: UserRow, deviceId: string | undefined, meta: RequestMeta, trx: Db, options: { familyId: string }): Promise<string>;
  prune(): Promise<number>;
}

/** Only a digest of the random device id is stored: a database dump names no cookie. */
const digestOf = (deviceId: string) => crypto.createHash('sha256').update(deviceId).digest('hex');

export function createDeviceService(deps: { clock: Clock; audit: AuditService; mail: MailService; db: Db }): DeviceService {
  const { clock, audit, mail, db } = deps;

  async function alertAllowed(trx: Db, userId: number, now: Date): Promise<boolean> {
    // The first browser of an account has nothing to be compared with: it is recorded silently.
    if ((await Devices.countKnownDevices(trx, userId)) === 0) return false;
    const since = new Date(now.getTime() - 3600_000);
    return (await Devices.countAlertsSince(trx, userId, since)) < ALERTS_PER_HOUR;
  }

  return {
    async signedIn(user, deviceId, meta, trx, { familyId }) {
      const id = deviceId && DEVICE_ID.test(deviceId) ? deviceId : crypto.randomBytes(32).toString('base64url');
      const digest = digestOf(id);
      const now = clock.now();
      if (await Devices.isKnownDevice(trx, user.id, digest)) {
        await Devices.touchDevice(trx, user.id, digest, now);
        return id;
      }
      const alerted = await alertAllowed(trx, user.id, now);
      await Devices.rememberDevice(trx, { user_id: user.id, device_digest: digest, now, alerted });
      if (alerted) {
        const device = deviceLabel(meta.userAgent);
        await mail.send({
          to: user.email,
          template: 'new-sign-in',
          language: mailLanguage(user, meta),
          locals: { ...recipientLocals(user), when: now.toISOString(), device, ip: meta.ip ?? msg('me.sessions.unknownIp') },
        }, trx);
        await audit.record('sign_in_alert_sent', { userId: user.id, meta, details: { family: familyId } }, trx);
      }
      return id;
    },

    prune() {
      return Devices.pruneKnownDevices(db, new Date(clock.now().getTime() - DEVICE_COOKIE_DAYS * 86400_000));
    },
  };
}
