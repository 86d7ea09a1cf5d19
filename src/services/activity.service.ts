import type { Db } from '../db/knex';
import { seekFor } from '../db/keyset';
import type { Clock } from '../lib/clock';
import { createCountCache } from '../lib/count-cache';
import { DeviceLabel, deviceLabel } from '../lib/device-label';
import { keysetPaged, Paged, PageRequest } from '../lib/pagination';
import * as AuditEvents from '../models/audit-event.model';
import { listActiveFamilies } from '../models/refresh-session.model';
import type { AuditEventName } from './audit.service';

export const ACTIVITY_PER_PAGE = 25;

/** The kinds the activity page filters by, each a set of audit events. */
export const ACTIVITY_KINDS = {
  sign_in: ['logged_in', 'logged_out', 'sign_in_alert_sent'],
  failed_sign_in: ['login_failed', 'reauthentication_failed'],
  password: ['password_changed', 'password_reset_requested', 'password_reset', 'password_reset_forced'],
  email: ['verification_sent', 'email_verified', 'email_change_requested', 'email_changed'],
  sessions: ['sessions_revoked', 'refresh_reuse_detected'],
  roles: ['roles_changed', 'user_disabled', 'user_enabled'],
  second_factor: ['totp_enabled', 'totp_disabled', 'recovery_codes_generated', 'recovery_code_used', 'passkey_added', 'passkey_removed', 'mfa_reset', 'reauthenticated'],
  account: ['registered', 'profile_updated', 'data_exported'],
} as const satisfies Record<string, readonly AuditEventName[]>;

export type ActivityKind = keyof typeof ACTIVITY_KINDS;
export const ACTIVITY_KIND_NAMES = Object.keys(ACTIVITY_KINDS) as ActivityKind[];

const KIND_OF = new Map<string, ActivityKind>(
  ACTIVITY_KIND_NAMES.flatMap((kind) => ACTIVITY_KINDS[kind].map((event) => [event, kind] as [string, ActivityKind])),
);

/**
 * One entry of a user's security activity. An admin who acted is never named (`by_admin` says
 * one did); `session` is the sign-in the event concerns, `live` while it can still be signed out.
 */
export interface ActivityEntry {
  id: number;
  event: string;
  kind: ActivityKind | 'other';
  created_at: string;
  ip: string | null;
  /** Translated where it is shown (a page, the API, the export). */
  device: DeviceLabel | null;
  by_admin: boolean;
  session: { id: string; live: boolean } | null;
  details: Record<string, unknown> | null;
}

/** The details shown to the user: what the event says, minus the session id (shown as `session`). */
function detailsOf(details: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!details) return null;
  const { family: _family, ...rest } = details;
  return Object.keys(rest).length > 0 ? rest : null;
}

export function toActivityEntry(row: AuditEvents.AuditEventRow, liveFamilies: ReadonlySet<string>): ActivityEntry {
  const family = typeof row.details?.family === 'string' ? row.details.family : null;
  return {
    id: row.id,
    event: row.event,
    kind: KIND_OF.get(row.event) ?? 'other',
    created_at: row.created_at.toISOString(),
    ip: row.ip,
    device: row.user_agent === null ? null : deviceLabel(row.user_agent),
    by_admin: row.actor_id !== null && row.actor_id !== row.user_id,
    session: family ? { id: family, live: liveFamilies.has(family) } : null,
    details: detailsOf(row.details),
  };
}

export interface ActivityQuery extends PageRequest {
  kind?: ActivityKind;
}

export interface ActivityService {
  /**
   * The events about one account, newest first, a page at a time. The account is always the
   * caller's own (the signed-in user, or the user an admin is looking at): there is no way to
   * name another one here.
   */
  list(userId: number, query: ActivityQuery): Promise<Paged<ActivityEntry>>;
}

export function createActivityService(deps: { db: Db; clock: Clock }): ActivityService {
  const { db, clock } = deps;
  const counts = createCountCache();

  return {
    async list(userId, { kind, ...request }) {
      const filter = { userId, events: kind ? ACTIVITY_KINDS[kind] : undefined };
      const seek = await seekFor(request, ACTIVITY_PER_PAGE, Number);
      const [result, total, families] = await Promise.all([
        AuditEvents.listAuditEvents(db, filter, ACTIVITY_PER_PAGE, seek),
        counts.total(`activity:${userId}:${kind ?? ''}`, (cap) => AuditEvents.countAuditEvents(db, filter, cap)),
        listActiveFamilies(db, userId, clock.now()),
      ]);
      const live = new Set(families.map((family) => family.family_id));
      return keysetPaged(result, request, ACTIVITY_PER_PAGE, total, (row) => toActivityEntry(row, live), (row) => String(row.id));
    },
  };
}
