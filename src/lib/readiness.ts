import type { NextFunction, Request, Response } from 'express';
import { ServiceUnavailableError } from '../errors/app-error';
import { msg } from './i18n';

/**
 * Whether this process should get traffic, as /readyz reports it to a proxy or orchestrator:
 * - `starting`: listening (so /healthz answers) but the database is not migrated yet; every
 *   other request gets 503, since the tables it needs may not exist;
 * - `ready`: migrations applied, keys loaded, serving;
 * - `draining`: SIGTERM arrived; requests are still served while the proxy notices the 503
 *   and stops sending new ones, then the server closes.
 * server.ts flips it; an app built without one (tests, tools) is ready from the start.
 */
export type ReadinessState = 'starting' | 'ready' | 'draining';

export interface Readiness {
  readonly state: ReadinessState;
  ready(): void;
  drain(): void;
}

export function createReadiness(initial: ReadinessState = 'starting'): Readiness {
  let state = initial;
  return {
    get state() {
      return state;
    },
    ready() {
      if (state === 'starting') state = 'ready';
    },
    drain() {
      state = 'draining';
    },
  };
}

export const READINESS_MESSAGES = {
  starting: msg('errors.message.starting'),
} as const;

/** Mounted after /healthz and /readyz: until the database is migrated, nothing else is served. */
export function refuseUntilStarted(readiness: Readiness) {
  return function untilStarted(_req: Request, _res: Response, next: NextFunction): void {
    next(readiness.state === 'starting' ? new ServiceUnavailableError(READINESS_MESSAGES.starting) : undefined);
  };
}
