import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config/env';
import { isApiRequest } from '../lib/auth-cookies';
import { isMessageRef, Message, MessageRef } from '../lib/i18n';

export type FlashKind = 'success' | 'info' | 'error';
export interface FlashMessage {
  kind: FlashKind;
  /** Translated when the next page renders, in that page's language (the layout's `tm`). */
  message: string | MessageRef;
}

declare global {
  namespace Express {
    interface Response {
      /** A message for the next page, carried in a short-lived signed cookie and shown once. */
      flash(kind: FlashKind, message: string | MessageRef): void;
    }
  }
}

const FLASH_MAX_AGE_MS = 60_000;

export function createFlash(config: Config) {
  const name = config.cookies.secure ? '__Host-gatehouse.flash' : 'gatehouse.flash';
  const options = { httpOnly: true, sameSite: 'lax', path: '/', secure: config.cookies.secure, signed: true } as const;

  return function flash(req: Request, res: Response, next: NextFunction): void {
    res.flash = (kind, message) => {
      res.cookie(name, JSON.stringify({ kind, message }), { ...options, maxAge: FLASH_MAX_AGE_MS });
    };
    const raw: unknown = req.signedCookies?.[name];
    if (typeof raw === 'string' && !isApiRequest(req)) {
      res.locals.flash = parseFlash(raw);
      res.clearCookie(name, options);
    }
    next();
  };
}

function isPlainVars(vars: unknown): boolean {
  return typeof vars === 'object' && vars !== null && !Array.isArray(vars)
    && Object.values(vars).every((value) => ['string', 'number', 'boolean'].includes(typeof value));
}

function parseFlash(raw: string): FlashMessage | null {
  try {
    const value = JSON.parse(raw) as Partial<FlashMessage>;
    const kinds: FlashKind[] = ['success', 'info', 'error'];
    const message: unknown = value.message;
    const readable = typeof message === 'string' || (isMessageRef(message) && (message.vars === undefined || isPlainVars(message.vars)));
    if (readable && kinds.includes(value.kind as FlashKind)) return { kind: value.kind as FlashKind, message: message as Message as FlashMessage['message'] };
  } catch {
    // A tampered cookie fails the signature before this; anything else is simply dropped.
  }
  return null;
}
