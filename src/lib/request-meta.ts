import type { Request } from 'express';

/** What services learn about a request: never `req` itself. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export function requestMeta(req: Request): RequestMeta {
  const userAgent = req.get('user-agent');
  return {
    // req.ip honours TRUST_PROXY: with it off, X-Forwarded-For is ignored.
    ip: req.ip ? req.ip.slice(0, 45) : null,
    userAgent: userAgent ? userAgent.slice(0, 255) : null,
  };
}
