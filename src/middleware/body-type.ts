import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors/app-error';
import { msg } from '../lib/i18n';

/**
 * A body is read only as a form (urlencoded) or JSON. Any other type (text/plain, multipart,
 * XML) would reach the handlers as "no fields at all", and an update whose fields are all
 * optional would then answer 2xx having done nothing: refuse it with 415 instead.
 */
export function requireFormOrJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody || req.is(['application/x-www-form-urlencoded', 'application/json'])) return next();
  throw new AppError(415, 'unsupported_media_type', msg('errors.message.unsupportedMediaType'));
}
