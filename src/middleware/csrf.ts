import type { Request, Response } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import type { Config } from '../config/env';
import { liveSecrets, SigningKeys } from '../config/keys';
import { hasAuthCookies, isApiRequest, readBearerToken } from '../lib/auth-cookies';

/** How many issued or validated tokens one process remembers (about 2 MB at most). */
const KNOWN_TOKENS = 10_000;

const sessionIdentifier = (req: Request): string => req.user?.sessionId ?? '';

/**
 * Signed double-submit CSRF tokens (csrf-csrf), bound to the sign-in (`sid`) so a token
 * from one session is useless in another. Forms send `_csrf`; scripts send `X-CSRF-Token`.
 *
 * The JSON API skips the check only when the request cannot be riding on the browser's
 * cookies: a Bearer header, or no auth cookie at all (API login, register, refresh).
 */
export function createCsrf(config: Config, keys: SigningKeys) {
  const cookieName = config.cookies.secure ? '__Host-gatehouse.csrf' : 'gatehouse.csrf';
  // csrf-csrf signs with the first secret and accepts any: a form opened before a key rotation
  // still posts after it, until the key it was made under is retired.
  const secrets = liveSecrets(keys, 'csrf');
  const cookieOptions = { sameSite: 'strict', path: '/', secure: config.cookies.secure, httpOnly: true } as const;
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => secrets() as string[],
    getSessionIdentifier: sessionIdentifier,
    cookieName,
    cookieOptions,
    getCsrfTokenFromRequest: (req: Request) =>
      req.is('application/x-www-form-urlencoded') ? req.body?._csrf : req.get('x-csrf-token'),
    skipCsrfProtection: (req: Request) =>
      isApiRequest(req) && (readBearerToken(req) !== undefined || !hasAuthCookies(req, config)),
  });

  // Tokens this process issued or found valid, with the sign-in each is bound to. A token's
  // validity changes only when the secrets do (a key retired), and then the memo is emptied, so
  // a page whose CSRF cookie is one of them reuses it without a second HMAC and without setting
  // the cookie again (a session cookie: setting the same value changes nothing). Oldest go first.
  const knownTokens = new Map<string, string>();
  let knownForKeys = keys.version;
  // The token last issued for each signed-in session (a sign-in is one device): a request of that
  // session without the cookie (a browser that dropped it, a script) gets the same token and its
  // cookie again, a per-session token as OWASP's cheat sheet allows, instead of a fresh HMAC and
  // one more entry above on every such request. Anonymous visitors always get a token of their own.
  const sessionTokens = new Map<string, string>();

  function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
    if (map.size >= KNOWN_TOKENS) map.delete(map.keys().next().value as K);
    map.set(key, value);
  }

  /** The page's token: the browser's own CSRF cookie when it is valid for this sign-in, else this sign-in's or a new one (and its cookie). */
  function issueToken(req: Request, res: Response): string {
    if (keys.version !== knownForKeys) {
      knownTokens.clear();
      sessionTokens.clear();
      knownForKeys = keys.version;
    }
    const session = sessionIdentifier(req);
    const cookie: unknown = req.cookies?.[cookieName];
    if (typeof cookie === 'string' && knownTokens.get(cookie) === session) return cookie;
    const issued = session === '' ? undefined : sessionTokens.get(session);
    if (issued !== undefined && typeof cookie !== 'string') {
      res.cookie(cookieName, issued, cookieOptions);
      return issued;
    }
    const token = generateCsrfToken(req, res);
    remember(knownTokens, token, session);
    if (session !== '') remember(sessionTokens, session, token);
    return token;
  }

  return { protect: doubleCsrfProtection, issueToken };
}
