import type { NextFunction, Request, Response } from 'express';

/**
 * Nothing the app generates is kept by a browser or a proxy: pages carry the signed-in user's
 * details and a CSRF token, API answers carry tokens (RFC 6749 §5.1 asks for no-store there).
 * After logging out, the back button shows no cached profile. Mounted after the static files,
 * which keep their own caching; a route that may be cached says so itself (the JWKS).
 *
 * With nothing stored, an ETag could never be sent back, so app.ts turns Express's off.
 */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}
