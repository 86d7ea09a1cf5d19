import type { Db } from '../db/knex';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../errors/app-error';
import type { Clock } from '../lib/clock';
import { seekFor } from '../db/keyset';
import { createCountCache } from '../lib/count-cache';
import { emptyPage, keysetPaged, Paged, PageRequest } from '../lib/pagination';
import type { RequestMeta } from '../lib/request-meta';
import * as AuditEvents from '../models/audit-event.model';
import type { ActiveFamily } from '../models/refresh-session.model';
import { countActiveFamilies } from '../models/refresh-session.model';
import * as Users from '../models/user.model';
import { PublicUser, toPublicUser } from '../presenters/user.presenter';
import type { AuditEventName, AuditService } from './audit.service';
import type { MfaService, MfaStatus } from './mfa.service';
import type { PasswordResetService } from './password-reset.service';
import { isLastActiveAdmin, lockActiveAdminIds } from './last-admin';
import type { SessionService } from './session.service';

export const USERS_PER_PAGE = 20;
export const AUDIT_EVENTS_PER_PAGE = 50;
const DETAIL_EVENTS = 20;
const DASHBOARD_EVENTS = 10;
const RECENT_WINDOW_MS = 24 * 60 * 60 * 1000;

export const ADMIN_MESSAGES = {
  userNotFound: 'There is no such user.',
  selfDemotion: 'You cannot remove your own admin role. Another admin must do it, so that someone can always undo a mistake.',
  selfDisable: 'You cannot disable your own account. Another admin must do it, so that you cannot lock yourself out.',
  lastAdmin: 'This is the last active admin, and the site must always have one. Make someone else an admin first.',
} as const;

/** The checkboxes of the user page: the whole desired state, an unchecked box being false. */
export interface AccountFlags {
  is_reader: boolean;
  is_author: boolean;
  is_admin: boolean;
  is_active: boolean;
}

export interface PublicAuditEvent {
  id: number;
  event: string;
  user: { id: string; username: string } | null;
  actor: { id: string; username: string } | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown> | null;
  created_at: string;
  /** A deleted account's pseudonymous id, where it was the subject or the actor (docs/account.md). */
  user_pseudonym: string | null;
  actor_pseudonym: string | null;
}

export interface UserDetail {
  user: PublicUser;
  sessions: ActiveFamily[];
  events: PublicAuditEvent[];
  mfa: MfaStatus;
}

export interface Dashboard {
  users: number;
  activeSessions: number;
  recentAuditEvents: number;
  latestEvents: PublicAuditEvent[];
}

export interface AuditQuery extends PageRequest {
  /** A public id or a username. */
  user?: string;
  event?: AuditEventName;
}

export interface AdminService {
  listUsers(q: string | undefined, request: PageRequest): Promise<Paged<PublicUser>>;
  getUser(publicId: string): Promise<UserDetail>;
  updateAccount(actorId: string, targetId: string, flags: AccountFlags, meta: RequestMeta): Promise<{ changed: boolean }>;
  revokeSessions(actorId: string, targetId: string, meta: RequestMeta): Promise<number>;
  /** Removes every second factor of another user (a lost phone); the user is told by mail. */
  resetMfa(actorId: string, targetId: string, meta: RequestMeta): Promise<PublicUser>;
  /** Forces a password reset on another user (password-reset.service.ts forceReset); audited. */
  forcePasswordReset(actorId: string, targetId: string, meta: RequestMeta): Promise<PublicUser>;
  provisionAccount(publicId: string, roles: Pick<AccountFlags, 'is_author' | 'is_admin'>, meta: RequestMeta): Promise<PublicUser>;
  dashboard(): Promise<Dashboard>;
  listAudit(query: AuditQuery): Promise<{ events: Paged<PublicAuditEvent>; user: PublicUser | null }>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toPublicAuditEvent(row: AuditEvents.NamedAuditEventRow): PublicAuditEvent {
  const named = (id: string | null, username: string | null) => (id && username ? { id, username } : null);
  return {
    id: row.id,
    event: row.event,
    user: named(row.user_public_id, row.username),
    actor: named(row.actor_public_id, row.actor_username),
    ip: row.ip,
    user_agent: row.user_agent,
    details: row.details,
    created_at: row.created_at.toISOString(),
    user_pseudonym: row.subject_pseudonym,
    actor_pseudonym: row.actor_pseudonym,
  };
}

const roleNames = (u: Pick<AccountFlags, 'is_reader' | 'is_author' | 'is_admin'>) =>
  (['reader', 'author', 'admin'] as const).filter((role) => u[`is_${role}`]);

export function createAdminService(deps: {
  db: Db; sessions: SessionService; audit: AuditService; clock: Clock; mfa: MfaService; passwordReset: PasswordResetService;
}): AdminService {
  const { db, sessions, audit, clock, mfa, passwordReset } = deps;
  const counts = createCountCache();

  async function findTarget(trx: Db, publicId: string): Promise<Users.UserRow> {
    const user = await Users.findUserByPublicId(trx, publicId);
    if (!user) throw new NotFoundError(ADMIN_MESSAGES.userNotFound);
    return user;
  }

  /** Read inside the transaction, after the admin rows are locked: the token said admin a moment ago, the row decides. */
  async function requireAdmin(trx: Db, actorId: string): Promise<Users.UserRow> {
    const actor = await Users.findUserByPublicId(trx, actorId);
    if (!actor) throw new UnauthorizedError();
    if (!actor.is_admin || !actor.is_active) throw new ForbiddenError();
    return actor;
  }

  /**
   * The safety rules, in this order: an admin cannot demote or disable themselves (someone else
   * must always be able to undo it), and the last active admin can never lose the role or be
   * disabled, even when two admins demote each other at the same moment.
   */
  function checkSafety(actorId: string, target: Users.UserRow, flags: AccountFlags, activeAdminIds: number[]): void {
    if (target.public_id === actorId) {
      if (target.is_admin && !flags.is_admin) throw new ValidationError({ is_admin: ADMIN_MESSAGES.selfDemotion }, ADMIN_MESSAGES.selfDemotion);
      if (!flags.is_active) throw new ValidationError({ is_active: ADMIN_MESSAGES.selfDisable }, ADMIN_MESSAGES.selfDisable);
    }
    const losesAdmin = !(flags.is_admin && flags.is_active);
    if (losesAdmin && isLastActiveAdmin(activeAdminIds, target.id)) {
      throw new ConflictError({ [flags.is_admin ? 'is_active' : 'is_admin']: ADMIN_MESSAGES.lastAdmin }, ADMIN_MESSAGES.lastAdmin);
    }
  }

  async function auditChanges(trx: Db, target: Users.UserRow, actor: Users.UserRow, flags: AccountFlags, revoked: number, meta: RequestMeta) {
    const entry = { userId: target.id, actorId: actor.id, meta };
    const from = roleNames(target);
    const to = roleNames(flags);
    if (from.join() !== to.join()) await audit.record('roles_changed', { ...entry, details: { from, to } }, trx);
    if (target.is_active && !flags.is_active) await audit.record('user_disabled', { ...entry, details: { sessions_revoked: revoked } }, trx);
    if (!target.is_active && flags.is_active) await audit.record('user_enabled', entry, trx);
  }

  return {
    async listUsers(q, request) {
      const seek = await seekFor(request, USERS_PER_PAGE, (publicId) => Users.userIdOf(db, publicId));
      const [result, total] = await Promise.all([
        Users.searchUsers(db, q, USERS_PER_PAGE, seek),
        counts.total(`users:${q ?? ''}`, (cap) => Users.countUsers(db, q, cap)),
      ]);
      return keysetPaged(result, request, USERS_PER_PAGE, total, toPublicUser, (row) => row.public_id);
    },

    async getUser(publicId) {
      const user = await findTarget(db, publicId);
      const [active, events, mfaStatus] = await Promise.all([
        sessions.listActive(user.id),
        AuditEvents.listAuditEvents(db, { userId: user.id }, DETAIL_EVENTS),
        mfa.status(user.id),
      ]);
      return { user: toPublicUser(user), sessions: active, events: events.rows.map(toPublicAuditEvent), mfa: mfaStatus };
    },

    /**
     * A role change bumps token_version only: the user's next request swaps its token for one
     * with the new roles, silently, through the refresh cookie. Disabling also revokes every
     * refresh session, so the next request by cookie or Bearer is refused.
     */
    async updateAccount(actorId, targetId, flags, meta) {
      const changedId = await db.transaction(async (trx) => {
        const activeAdminIds = await lockActiveAdminIds(db, trx);
        const target = await findTarget(trx, targetId);
        checkSafety(actorId, target, flags, activeAdminIds);
        const actor = await requireAdmin(trx, actorId);
        const patch: Users.UserPatch = {};
        for (const key of ['is_reader', 'is_author', 'is_admin', 'is_active'] as const) {
          if (target[key] !== flags[key]) patch[key] = flags[key];
        }
        if (Object.keys(patch).length === 0) return null;
        const now = clock.now();
        await Users.updateUser(trx, target.id, patch, now);
        let revoked = 0;
        if (patch.is_active === false) revoked = await sessions.signOutEverywhere(target.id, 'disabled', trx);
        // Roles only: the next request silently gets a token with the new roles; nobody is signed out.
        else await Users.bumpTokenVersion(trx, target.id, now);
        await auditChanges(trx, target, actor, flags, revoked, meta);
        return target.id;
      });
      if (changedId !== null) await sessions.forgetCachedState(changedId);
      return { changed: changedId !== null };
    },

    /** "Sign out everywhere": every access token goes stale and every refresh session ends. */
    async revokeSessions(actorId, targetId, meta) {
      const revoked = await db.transaction(async (trx) => {
        const actor = await requireAdmin(trx, actorId);
        const target = await findTarget(trx, targetId);
        const count = await sessions.signOutEverywhere(target.id, 'admin_revoked', trx);
        await audit.record('sessions_revoked', { userId: target.id, actorId: actor.id, meta, details: { scope: 'all', tokens: count } }, trx);
        return { count, userId: target.id };
      });
      await sessions.forgetCachedState(revoked.userId);
      return revoked.count;
    },

    async forcePasswordReset(actorId, targetId, meta) {
      const unusableHash = await passwordReset.unusableHash();
      const target = await db.transaction(async (trx) => {
        const actor = await requireAdmin(trx, actorId);
        const user = await findTarget(trx, targetId);
        await passwordReset.forceReset(user, actor.id, unusableHash, meta, trx);
        return user;
      });
      await sessions.forgetCachedState(target.id);
      return toPublicUser(target);
    },

    async resetMfa(actorId, targetId, meta) {
      const actor = await requireAdmin(db, actorId);
      const target = await findTarget(db, targetId);
      await mfa.resetByAdmin(actor, target, meta);
      return toPublicUser(target);
    },

    /**
     * Finishes an account made with `npm run user:create`: the roles asked for, and the address
     * marked verified, since the operator running the command on the server vouches for it (and
     * the first admin must be able to sign in even when REQUIRE_VERIFIED_EMAIL is on). No admin
     * acted, so the audit event names none.
     */
    async provisionAccount(publicId, roles, meta) {
      const user = await db.transaction(async (trx) => {
        const target = await findTarget(trx, publicId);
        const flags = { ...target, is_author: target.is_author || roles.is_author, is_admin: target.is_admin || roles.is_admin };
        await Users.updateUser(trx, target.id, { is_author: flags.is_author, is_admin: flags.is_admin }, clock.now());
        const from = roleNames(target);
        const to = roleNames(flags);
        if (from.join() !== to.join()) await audit.record('roles_changed', { userId: target.id, meta, details: { from, to, via: 'command line' } }, trx);
        return findTarget(trx, publicId);
      });
      return toPublicUser(user);
    },

    async dashboard() {
      const now = clock.now();
      const since = new Date(now.getTime() - RECENT_WINDOW_MS);
      // Totals past COUNT_EXACT_UP_TO are up to COUNT_TTL_MS old (lib/count-cache.ts); the window moves meanwhile.
      const [users, activeSessions, recentAuditEvents, latest] = await Promise.all([
        counts.total('users:', (cap) => Users.countUsers(db, undefined, cap)),
        counts.total('sessions:active', (cap) => countActiveFamilies(db, now, cap)),
        counts.total('audit:recent', (cap) => AuditEvents.countAuditEvents(db, { since }, cap)),
        AuditEvents.listAuditEvents(db, {}, DASHBOARD_EVENTS),
      ]);
      return { users, activeSessions, recentAuditEvents, latestEvents: latest.rows.map(toPublicAuditEvent) };
    },

    async listAudit({ user: who, event, ...request }) {
      let user: Users.UserRow | undefined;
      if (who) {
        user = UUID.test(who) ? await Users.findUserByPublicId(db, who) : await Users.findUserByUsername(db, who);
        // Naming nobody matches nothing, rather than silently showing everyone's events.
        if (!user) return { events: emptyPage(request, AUDIT_EVENTS_PER_PAGE, 0), user: null };
      }
      const filter = { userId: user?.id, event };
      const seek = await seekFor(request, AUDIT_EVENTS_PER_PAGE, Number);
      const [result, total] = await Promise.all([
        AuditEvents.listAuditEvents(db, filter, AUDIT_EVENTS_PER_PAGE, seek),
        counts.total(`audit:${user?.id ?? ''}:${event ?? ''}`, (cap) => AuditEvents.countAuditEvents(db, filter, cap)),
      ]);
      const events = keysetPaged(result, request, AUDIT_EVENTS_PER_PAGE, total, toPublicAuditEvent, (row) => String(row.id));
      return { events, user: user ? toPublicUser(user) : null };
    },
  };
}
