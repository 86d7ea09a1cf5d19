/**
 * Access tokens whose signature and claims have already been verified, keyed by the exact
 * token string, so a client sending the same token again skips the RSA/ECDSA/HMAC check.
 *
 * Why this is safe: a cache hit needs a byte-identical copy of a token this process verified
 * itself, so nothing forged or altered can hit. An entry is served only while `now < exp`
 * (jsonwebtoken's own rule), so a cached token expires exactly when a verified one would.
 * Only the signature check is skipped: revocation (token_version, disabled user, ended
 * session) is still decided on every request by SessionService.checkAccess, whose answer is
 * at most 1 s old. Bounded by entry count; the least recently used entry goes first.
 */
export interface VerifiedTokenCache<C extends { exp: number }> {
  /** The claims of a token verified before and not yet expired at `nowSeconds`. */
  get(token: string, nowSeconds: number): C | undefined;
  /** Remembers verified claims; they are frozen, since every later request shares them. */
  set(token: string, claims: C): void;
  clear(): void;
  readonly size: number;
}

export const DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES = 10_000;

export function createVerifiedTokenCache<C extends { exp: number }>(
  maxEntries: number = DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES,
): VerifiedTokenCache<C> {
  if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new RangeError('maxEntries must be a whole number, 0 or more');
  // A Map iterates in insertion order: re-inserting on a hit keeps the oldest-used entry first.
  const entries = new Map<string, Readonly<C>>();

  return {
    get(token, nowSeconds) {
      const claims = entries.get(token);
      if (claims === undefined) return undefined;
      entries.delete(token);
      if (!(nowSeconds < claims.exp)) return undefined;
      entries.set(token, claims);
      return claims;
    },

    set(token, claims) {
      if (maxEntries === 0 || typeof claims.exp !== 'number') return;
      entries.delete(token);
      while (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      entries.set(token, Object.freeze(claims));
    },

    clear() {
      entries.clear();
    },

    get size() {
      return entries.size;
    },
  };
}
