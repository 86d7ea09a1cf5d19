import type { Request } from 'express';
import { NotFoundError } from '../errors/app-error';
import { isApiRequest } from '../lib/auth-cookies';

export function notFound(req: Request): never {
  throw new NotFoundError(isApiRequest(req) ? 'No such endpoint.' : undefined);
}
