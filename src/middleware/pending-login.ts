import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config/env';
import { readPendingLoginCookie } from '../lib/mfa-cookies';
import type { Services } from '../services';

/**
 * Reads the login waiting for its second step, before the login throttles run: pages from the
 * browser's pending-login cookie, the API from the body's `mfa_token` (validated as a string
 * first). Its first step's throttle key then counts this step's failures on the same counters.
 * It never rejects: the handler decides what a missing or expired step means.
 */
export function loadPendingLogin(config: Config, services: Services, source: 'cookie' | 'body') {
  return async function pendingLogin(req: Request, _res: Response, next: NextFunction): Promise<void> {
    const token = source === 'cookie' ? readPendingLoginCookie(req, config) : (req.body?.mfa_token as string | undefined);
    req.pendingLogin = token ? (await services.mfaLogin.find(token)) ?? null : null;
    if (req.pendingLogin?.throttleKey) req.loginThrottleKey = req.pendingLogin.throttleKey;
    next();
  };
}
