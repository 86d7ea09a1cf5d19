import cookieParser from 'cookie-parser';
import type { RequestHandler } from 'express';
import { liveSecrets, SigningKeys } from '../config/keys';

/**
 * cookie-parser with the cookie-signing secret of every live key, the current one first: it
 * signs with the first (req.secret) and reads a cookie signed with any, so a flash message set
 * just before a key rotation still shows after it. Rebuilt only when the keys change.
 */
export function parseCookies(keys: SigningKeys): RequestHandler {
  const secrets = liveSecrets(keys, 'cookies');
  let builtFor: readonly string[] | undefined;
  let parse: RequestHandler = (_req, _res, next) => next();
  return (req, res, next) => {
    const current = secrets();
    if (current !== builtFor) {
      parse = cookieParser([...current]);
      builtFor = current;
    }
    parse(req, res, next);
  };
}
