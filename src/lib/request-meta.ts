import type { Request } from 'express';
import type { Language } from './i18n';

/** What services learn about a request: never `req` itself. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  /** The request's language (negotiated): what a mail it causes is written in when its recipient chose none. */
  language?: Language | null;
}

export function requestMeta(req: Request): RequestMeta {
  const userAgent = req.get('user-agent');
  return {
    // req.ip honours TRUST_PROXY: with it off, X-Forwarded-For is ignored.
    ip: req.ip ? req.ip.slice(0, 45) : null,
    userAgent: userAgent ? userAgent.slice(0, 255) : null,
    language: req.language ?? null,
  };
}
