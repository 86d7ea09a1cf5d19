import crypto from 'node:crypto';
import type { Config } from '../config/env';
import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import type { Metrics } from '../lib/metrics';
import type { RequestMeta } from '../lib/request-meta';
import * as Sessions from '../models/refresh-session.model';
import { bumpTokenVersion, findUserByPublicId, UserRow } from '../models/user.model';
import { AccessVerdict, AccountState, createAccessCheck } from './access-check';
import type { AccountChanges } from './account-changes';
import type { AuditService } from './audit.service';
import { AccessClaims, AccessSubject, SignInFacts, TokenError, TokenService } from './token.service';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  accessExpiresIn: number;
  refreshExpiresIn: number;
  familyId: string;
  access: AccessClaims;
  /** "Remember me": persistent cookies for REFRESH_TOKEN_TTL; without it, browser-session cookies and SESSION_IDLE_TTL. */
  remembered: boolean;
}

/** A refresh token that cannot be used: unknown, expired, revoked, or replayed after the grace. */
export class SessionError extends Error {
  constructor(readonly reason: 'invalid' | 'reused') {
    super(`refresh ${reason}`);
  }
}


/** RFC 8176 values for how a sign-in was authenticated: `['pwd']`, `['pwd', 'otp', 'mfa']`, `['hwk', 'mfa']`… */
export type AuthMethods = readonly string[];

export interface SessionService {
  /**
   * A new sign-in (refresh family), authenticated now with `amr` (a password alone unless said).
   * `remembered` false: the family ends after SESSION_IDLE_TTL without a refresh (default true).
   */
  start(user: UserRow, meta: RequestMeta, db?: Db, amr?: AuthMethods, remembered?: boolean): Promise<TokenPair>;
  /** Whether the user's live sign-in was made with "Remember me" (true when it is unknown). */
  isRemembered(userId: number, familyId: string): Promise<boolean>;
  rotate(refreshToken: string, meta: RequestMeta): Promise<TokenPair>;
  checkAccess(claims: AccessClaims): Promise<AccessVerdict>;
  /**
   * The signed-in user's row (and pending email change) as read by the revocation check, at
   * most a second old and never older than this process's own last change: what the profile
   * renders without a query of its own. Null once the sign-in has ended.
   */
  currentAccount(userPublicId: string, familyId: string): Promise<Pick<AccountState, 'user' | 'pendingEmail' | 'mfa'> | null>;
  endByRefreshToken(refreshToken: string, meta: RequestMeta): Promise<void>;
  endFamily(userPublicId: string, familyId: string, meta: RequestMeta): Promise<void>;
  /**
   * Password change, password reset, disabling, an admin's "sign out everywhere": bumps
   * token_version (every access token goes stale) and revokes every refresh session, inside the
   * caller's transaction. Returns the number of refresh tokens revoked. The caller awaits
   * forgetCachedState(userId) once its transaction has committed.
   */
  signOutEverywhere(userId: number, reason: string, trx: Db): Promise<number>;
  listActive(userId: number): Promise<Sessions.ActiveFamily[]>;
  listForUser(userPublicId: string): Promise<Sessions.ActiveFamily[]>;
  /** "Sign out" on the sessions page: ends one of the user's own sign-ins. False when it was not theirs or not live. */
  revokeOne(userPublicId: string, familyId: string, meta: RequestMeta): Promise<boolean>;
  /** "Sign out all other sessions": every sign-in of the user except the one making the request. */
  revokeOthers(userPublicId: string, keepFamilyId: string, meta: RequestMeta): Promise<number>;
  /**
   * Called after any committed change to a user's row, sessions or pending email change: every
   * instance drops what it cached for the user before this resolves, so awaiting it before the
   * answer makes the change visible on the client's next request, whichever instance serves it.
   */
  forgetCachedState(userId: number): Promise<void>;
  /** Sudo mode: the user confirmed who they are in this sign-in just now. False when the sign-in is not live. */
  confirmIdentity(userId: number, familyId: string): Promise<boolean>;
  /** When the user last authenticated in this sign-in (login or confirmation); undefined once it has ended. */
  lastAuthentication(userId: number, familyId: string): Promise<Date | undefined>;
  prune(): Promise<number>;
}

/** The database keeps only this digest of a refresh token's jti. */
export function hashJti(jti: string): string {
  return crypto.createHash('sha256').update(jti).digest('hex');
}


export function createSessionService(deps: {
  db: Db;
  tokens: TokenService;
  audit: AuditService;
  clock: Clock;
  jwt: Config['jwt'];
  changes: AccountChanges;
  metrics: Metrics;
}): SessionService {
  const { db, tokens, audit, clock, jwt, changes } = deps;
  const refreshes = deps.metrics.counter('gatehouse_refreshes_total', 'Refresh token presentations (API and silent cookie refresh), by outcome', {
    outcome: ['rotated', 'grace_reuse', 'reuse_detected', 'invalid'],
  });
  const accessCheck = createAccessCheck(db, clock);
  changes.subscribe(accessCheck.forget);

  /** How a stored row's sign-in was authenticated; rows from before second factors were passwords. */
  function signInOf(row: Sessions.RefreshSessionRow): SignInFacts {
    return {
      amr: row.amr ? row.amr.split(',') : ['pwd'],
      authTime: Math.floor((row.auth_time ?? row.family_created_at).getTime() / 1000),
    };
  }

  /**
   * Signs a new pair; nothing is stored until the caller knows the pair may be issued. A sign-in
   * without "Remember me" gets rows that expire SESSION_IDLE_TTL after their rotation: unused for
   * that long, the family has no live row left and ends (the JWT's own exp stays the longer one).
   */
  function signPair(user: AccessSubject, familyId: string, signIn: SignInFacts, remembered: boolean) {
    const access = tokens.signAccessToken(user, familyId, signIn);
    const refresh = tokens.signRefreshToken(user.public_id, familyId);
    const refreshExpiresIn = remembered ? jwt.refreshTtlSeconds : Math.min(jwt.idleTtlSeconds, jwt.refreshTtlSeconds);
    const pair: TokenPair = {
      accessToken: access.token,
      refreshToken: refresh.token,
      accessExpiresIn: jwt.accessTtlSeconds,
      refreshExpiresIn,
      familyId,
      access: access.claims,
      remembered,
    };
    const expiresAt = new Date(Math.min(refresh.claims.exp * 1000, clock.now().getTime() + refreshExpiresIn * 1000));
    return { pair, jtiHash: hashJti(refresh.claims.jti), expiresAt, signIn };
  }

  async function storePair(
    trx: Db, signed: ReturnType<typeof signPair>, userId: number, familyCreatedAt: Date, meta: RequestMeta, reauthenticatedAt: Date | null,
  ) {
    await Sessions.insertRefreshSession(trx, {
      jti_hash: signed.jtiHash,
      family_id: signed.pair.familyId,
      user_id: userId,
      family_created_at: familyCreatedAt,
      created_at: clock.now(),
      expires_at: signed.expiresAt,
      user_agent: meta.userAgent,
      ip: meta.ip,
      amr: signed.signIn.amr.join(','),
      auth_time: new Date(signed.signIn.authTime * 1000),
      reauthenticated_at: reauthenticatedAt,
      remembered: signed.pair.remembered,
    });
    return signed.pair;
  }


  async function endAndAudit(userId: number, familyId: string, meta: RequestMeta): Promise<void> {
    await db.transaction(async (trx) => {
      const revoked = await Sessions.revokeFamily(trx, familyId, 'logout', clock.now(), userId);
      if (revoked > 0) await audit.record('logged_out', { userId, meta, details: { family: familyId } }, trx);
    });
    await service.forgetCachedState(userId);
  }

  const service: SessionService = {
    async start(user, meta, trx = db, amr = ['pwd'], remembered = true) {
      const now = clock.now();
      const signIn = { amr: [...amr], authTime: Math.floor(now.getTime() / 1000) };
      return storePair(trx, signPair(user, crypto.randomUUID(), signIn, remembered), user.id, now, meta, null);
    },

    async isRemembered(userId, familyId) {
      return (await Sessions.rememberedOf(db, familyId, userId)) ?? true;
    },

    /**
     * Rotation: the presented token is claimed (marked used) and a new pair is minted in the
     * same family, in one transaction. A token already used within REFRESH_REUSE_GRACE (two
     * tabs, parallel requests) gets a fresh pair too; after the grace it can only be a replay of
     * a stolen token, so the whole family is revoked and the event audited.
     */
    async rotate(refreshToken, meta) {
      let claims;
      try {
        claims = tokens.verifyRefreshToken(refreshToken);
      } catch (error) {
        if (error instanceof TokenError) {
          refreshes.inc({ outcome: 'invalid' });
          throw new SessionError('invalid');
        }
        throw error;
      }
      const jtiHash = hashJti(claims.jti);
      const outcome = await db.transaction(async (trx) => {
        const found = await Sessions.findRefreshSessionWithSubject(trx, jtiHash);
        const now = clock.now();
        if (!found) return { kind: 'invalid' as const };
        const { session: row, subject: user } = found;
        if (row.family_id !== claims.fam || row.revoked_at || row.expires_at <= now) return { kind: 'invalid' as const };
        if (!user.is_active || user.public_id !== claims.sub) return { kind: 'invalid' as const };

        const signed = signPair(user, row.family_id, signInOf(row), row.remembered);
        // Losing the claim means another request used this token a moment ago: within the grace.
        const claimed = row.used_at === null && (await Sessions.claimRefreshSession(trx, row.id, signed.jtiHash, now));
        const usedAt = claimed ? null : (row.used_at ?? now);
        if (usedAt === null || now.getTime() - usedAt.getTime() <= jwt.reuseGraceSeconds * 1000) {
          return { kind: claimed ? 'rotated' as const : 'grace_reuse' as const, pair: await storePair(trx, signed, user.id, row.family_created_at, meta, row.reauthenticated_at) };
        }
        return { kind: 'reused' as const, userId: user.id, familyId: row.family_id };
      });

      refreshes.inc({ outcome: outcome.kind === 'reused' ? 'reuse_detected' : outcome.kind });
      if (outcome.kind === 'rotated' || outcome.kind === 'grace_reuse') return outcome.pair;
      if (outcome.kind === 'reused') {
        await db.transaction(async (trx) => {
          await Sessions.revokeFamily(trx, outcome.familyId, 'reuse', clock.now(), outcome.userId);
          await audit.record('refresh_reuse_detected', { userId: outcome.userId, meta, details: { family: outcome.familyId } }, trx);
        });
        await service.forgetCachedState(outcome.userId);
        throw new SessionError('reused');
      }
      throw new SessionError('invalid');
    },

    checkAccess(claims) {
      return accessCheck.check(claims);
    },

    currentAccount(userPublicId, familyId) {
      return accessCheck.account(userPublicId, familyId);
    },

    async endByRefreshToken(refreshToken, meta) {
      let claims;
      try {
        claims = tokens.verifyRefreshToken(refreshToken);
      } catch {
        return; // Nothing we issued, or already expired: there is nothing left to revoke.
      }
      const row = await Sessions.findRefreshSessionByHash(db, hashJti(claims.jti));
      if (row && row.family_id === claims.fam) await endAndAudit(row.user_id, row.family_id, meta);
    },

    async endFamily(userPublicId, familyId, meta) {
      const user = await findUserByPublicId(db, userPublicId);
      if (user) await endAndAudit(user.id, familyId, meta);
    },

    async signOutEverywhere(userId, reason, trx) {
      const now = clock.now();
      await bumpTokenVersion(trx, userId, now);
      return Sessions.revokeUserFamilies(trx, userId, reason, now);
    },

    listActive(userId) {
      return Sessions.listActiveFamilies(db, userId, clock.now());
    },

    async listForUser(userPublicId) {
      const user = await findUserByPublicId(db, userPublicId);
      return user ? Sessions.listActiveFamilies(db, user.id, clock.now()) : [];
    },

    async revokeOne(userPublicId, familyId, meta) {
      const user = await findUserByPublicId(db, userPublicId);
      if (!user) return false;
      const revoked = await db.transaction(async (trx) => {
        const count = await Sessions.revokeFamily(trx, familyId, 'user_revoked', clock.now(), user.id);
        if (count > 0) await audit.record('sessions_revoked', { userId: user.id, meta, details: { scope: 'one', family: familyId } }, trx);
        return count;
      });
      await service.forgetCachedState(user.id);
      return revoked > 0;
    },

    async revokeOthers(userPublicId, keepFamilyId, meta) {
      const user = await findUserByPublicId(db, userPublicId);
      if (!user) return 0;
      const revoked = await db.transaction(async (trx) => {
        const count = await Sessions.revokeUserFamilies(trx, user.id, 'user_revoked', clock.now(), keepFamilyId);
        await audit.record('sessions_revoked', { userId: user.id, meta, details: { scope: 'others', tokens: count } }, trx);
        return count;
      });
      await service.forgetCachedState(user.id);
      return revoked;
    },

    async confirmIdentity(userId, familyId) {
      return (await Sessions.markReauthenticated(db, familyId, userId, clock.now())) > 0;
    },

    lastAuthentication(userId, familyId) {
      return Sessions.lastAuthenticationOf(db, familyId, userId, clock.now());
    },

    forgetCachedState(userId) {
      return changes.publish(userId);
    },

    prune() {
      return Sessions.pruneRefreshSessions(db, clock.now());
    },
  };
  return service;
}
