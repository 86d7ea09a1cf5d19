import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Config } from '../config/env';
import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import type { RequestMeta } from '../lib/request-meta';
import * as Sessions from '../models/refresh-session.model';
import { bumpTokenVersion, findUserByPublicId, UserRow } from '../models/user.model';
import { AccessVerdict, AccountState, createAccessCheck } from './access-check';
import type { AuditService } from './audit.service';
import { AccessClaims, AccessSubject, TokenError, TokenService } from './token.service';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  accessExpiresIn: number;
  refreshExpiresIn: number;
  familyId: string;
  access: AccessClaims;
}

/** A refresh token that cannot be used: unknown, expired, revoked, or replayed after the grace. */
export class SessionError extends Error {
  constructor(readonly reason: 'invalid' | 'reused') {
    super(`refresh ${reason}`);
  }
}


export interface SessionService {
  start(user: UserRow, meta: RequestMeta, db?: Db): Promise<TokenPair>;
  rotate(refreshToken: string, meta: RequestMeta): Promise<TokenPair>;
  checkAccess(claims: AccessClaims): Promise<AccessVerdict>;
  /**
   * The signed-in user's row (and pending email change) as read by the revocation check, at
   * most a second old and never older than this process's own last change: what the profile
   * renders without a query of its own. Null once the sign-in has ended.
   */
  currentAccount(userPublicId: string, familyId: string): Promise<Pick<AccountState, 'user' | 'pendingEmail'> | null>;
  endByRefreshToken(refreshToken: string, meta: RequestMeta): Promise<void>;
  endFamily(userPublicId: string, familyId: string, meta: RequestMeta): Promise<void>;
  /**
   * Password change, password reset, disabling, an admin's "sign out everywhere": bumps
   * token_version (every access token goes stale) and revokes every refresh session, inside the
   * caller's transaction. Returns the number of refresh tokens revoked.
   */
  signOutEverywhere(userId: number, reason: string, trx: Db): Promise<number>;
  listActive(userId: number): Promise<Sessions.ActiveFamily[]>;
  listForUser(userPublicId: string): Promise<Sessions.ActiveFamily[]>;
  /** "Sign out" on the sessions page: ends one of the user's own sign-ins. False when it was not theirs or not live. */
  revokeOne(userPublicId: string, familyId: string, meta: RequestMeta): Promise<boolean>;
  /** "Sign out all other sessions": every sign-in of the user except the one making the request. */
  revokeOthers(userPublicId: string, keepFamilyId: string, meta: RequestMeta): Promise<number>;
  /** Called after any change to a user's row, a family or a pending email change, so this process sees it at once. */
  forgetCachedState(): void;
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
}): SessionService {
  const { db, tokens, audit, clock, jwt } = deps;
  const accessCheck = createAccessCheck(db, clock);

  /** Signs a new pair; nothing is stored until the caller knows the pair may be issued. */
  function signPair(user: AccessSubject, familyId: string) {
    const access = tokens.signAccessToken(user, familyId);
    const refresh = tokens.signRefreshToken(user.public_id, familyId);
    const pair: TokenPair = {
      accessToken: access.token,
      refreshToken: refresh.token,
      accessExpiresIn: jwt.accessTtlSeconds,
      refreshExpiresIn: jwt.refreshTtlSeconds,
      familyId,
      access: access.claims,
    };
    return { pair, jtiHash: hashJti(refresh.claims.jti), expiresAt: new Date(refresh.claims.exp * 1000) };
  }

  async function storePair(trx: Db, signed: ReturnType<typeof signPair>, userId: number, familyCreatedAt: Date, meta: RequestMeta) {
    await Sessions.insertRefreshSession(trx, {
      jti_hash: signed.jtiHash,
      family_id: signed.pair.familyId,
      user_id: userId,
      family_created_at: familyCreatedAt,
      created_at: clock.now(),
      expires_at: signed.expiresAt,
      user_agent: meta.userAgent,
      ip: meta.ip,
    });
    return signed.pair;
  }


  async function endAndAudit(userId: number, familyId: string, meta: RequestMeta): Promise<void> {
    await db.transaction(async (trx) => {
      const revoked = await Sessions.revokeFamily(trx, familyId, 'logout', clock.now(), userId);
      if (revoked > 0) await audit.record('logged_out', { userId, meta, details: { family: familyId } }, trx);
    });
    service.forgetCachedState();
  }

  const service: SessionService = {
    async start(user, meta, trx = db) {
      return storePair(trx, signPair(user, crypto.randomUUID()), user.id, clock.now(), meta);
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
        if (error instanceof TokenError) throw new SessionError('invalid');
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

        const signed = signPair(user, row.family_id);
        // Losing the claim means another request used this token a moment ago: within the grace.
        const claimed = row.used_at === null && (await Sessions.claimRefreshSession(trx, row.id, signed.jtiHash, now));
        const usedAt = claimed ? null : (row.used_at ?? now);
        if (usedAt === null || now.getTime() - usedAt.getTime() <= jwt.reuseGraceSeconds * 1000) {
          return { kind: 'rotated' as const, pair: await storePair(trx, signed, user.id, row.family_created_at, meta) };
        }
        return { kind: 'reused' as const, userId: user.id, familyId: row.family_id };
      });

      if (outcome.kind === 'rotated') return outcome.pair;
      if (outcome.kind === 'reused') {
        await db.transaction(async (trx) => {
          await Sessions.revokeFamily(trx, outcome.familyId, 'reuse', clock.now(), outcome.userId);
          await audit.record('refresh_reuse_detected', { userId: outcome.userId, meta, details: { family: outcome.familyId } }, trx);
        });
        service.forgetCachedState();
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
      const count = await Sessions.revokeUserFamilies(trx, userId, reason, now);
      // Dropped when the caller's transaction settles: a request that read the old state while it
      // was open must not keep serving it from the cache.
      if (trx.isTransaction) (trx as Knex.Transaction).executionPromise.then(service.forgetCachedState, service.forgetCachedState);
      else service.forgetCachedState();
      return count;
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
      service.forgetCachedState();
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
      service.forgetCachedState();
      return revoked;
    },

    forgetCachedState() {
      accessCheck.forget();
    },

    prune() {
      return Sessions.pruneRefreshSessions(db, clock.now());
    },
  };
  return service;
}
