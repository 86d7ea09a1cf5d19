import type { NextFunction, Request, Response } from 'express';
import { NotFoundError } from '../errors/app-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path segment that must be a UUID (a public user id, a session id): anything else names nothing, so 404. */
export function requireUuidParam(name: string) {
  return function uuidParam(req: Request, _res: Response, next: NextFunction): void {
    const value = req.params[name];
    if (typeof value !== 'string' || !UUID.test(value)) throw new NotFoundError();
    next();
  };
}

/** A path segment that must be a row id (a passkey): a positive integer that fits the column, else 404. */
export function requireIdParam(name: string) {
  return function idParam(req: Request, _res: Response, next: NextFunction): void {
    const value = req.params[name];
    if (typeof value !== 'string' || !/^[1-9]\d{0,8}$/.test(value)) throw new NotFoundError();
    next();
  };
}
