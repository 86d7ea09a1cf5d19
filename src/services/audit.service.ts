import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import type { RequestMeta } from '../lib/request-meta';
import { insertAuditEvent, pruneAuditEvents } from '../models/audit-event.model';

export const AUDIT_EVENTS = [
  'registered',
  'logged_in',
  'login_failed',
  'logged_out',
  'profile_updated',
  'password_changed',
  'sessions_revoked',
  'refresh_reuse_detected',
  'roles_changed',
  'user_disabled',
  'user_enabled',
  'verification_sent',
  'email_verified',
  'password_reset_requested',
  'password_reset',
  'email_change_requested',
  'email_changed',
  'totp_enabled',
  'totp_disabled',
  'recovery_codes_generated',
  'recovery_code_used',
  'passkey_added',
  'passkey_removed',
  'mfa_reset',
  'reauthenticated',
  'reauthentication_failed',
  'sign_in_alert_sent',
  'data_exported',
  'account_deleted',
  'password_reset_forced',
] as const;

export type AuditEventName = (typeof AUDIT_EVENTS)[number];

export interface AuditEntry {
  userId?: number | null;
  actorId?: number | null;
  meta?: RequestMeta;
  /** Never passwords, tokens or anything typed into a password field. */
  details?: Record<string, unknown>;
  /** An event about an account that no longer exists (its deletion): the pseudonym standing for it. */
  subjectPseudonym?: string;
}

export interface AuditService {
  record(event: AuditEventName, entry: AuditEntry, db?: Db): Promise<void>;
  /** Deletes events older than AUDIT_RETENTION (run hourly by the server). */
  prune(): Promise<number>;
}

export function createAuditService(defaultDb: Db, clock: Clock, retentionSeconds: number): AuditService {
  return {
    prune() {
      return pruneAuditEvents(defaultDb, new Date(clock.now().getTime() - retentionSeconds * 1000));
    },

    async record(event, entry, db = defaultDb) {
      await insertAuditEvent(db, {
        event,
        user_id: entry.userId ?? null,
        actor_id: entry.actorId ?? null,
        ip: entry.meta?.ip ?? null,
        user_agent: entry.meta?.userAgent ?? null,
        details: entry.details ?? null,
        created_at: clock.now(),
        ...(entry.subjectPseudonym ? { subject_pseudonym: entry.subjectPseudonym } : {}),
      });
    },
  };
}
