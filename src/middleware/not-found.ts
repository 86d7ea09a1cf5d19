import type { Request } from 'express';
import { NotFoundError } from '../errors/app-error';
import { isApiRequest } from '../lib/auth-cookies';
import { msg } from '../lib/i18n';

export function notFound(req: Request): never {
  throw new NotFoundError(isApiRequest(req) ? msg('api.noSuchEndpoint') : undefined);
}
