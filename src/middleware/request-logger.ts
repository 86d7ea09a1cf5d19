import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

/**
 * One log line per request, written when the response is done, with a request id (also sent
 * back as X-Request-Id and shown on error pages). Behind a proxy we trust (TRUST_PROXY), the
 * proxy's X-Request-Id is kept, so one id follows the request through both logs; without one,
 * a client could write whatever it likes into our logs, so the id is always ours. Only the method, the path without its query
 * string, the status and the timing are logged: no headers, no cookies, no bodies, so no token
 * or password can end up in a log.
 *
 * This used to be pino-http, which builds a child logger per request (serialising the request
 * binding up front) and listens on three events: a quarter of a signed-in page's logging cost
 * for one line. The line keeps pino-http's shape: `{ req: { id, method, path }, res:
 * { statusCode }, responseTime, msg }`.
 */
/** Told about every request once it is done (the HTTP metrics), on the logger's one listener. */
export type RequestObserver = (req: Request, res: Response, seconds: number) => void;

export interface RequestLoggerOptions {
  /** TRUST_PROXY is set: a sane X-Request-Id from the proxy is kept instead of a new one. */
  trustRequestId?: boolean;
  observe?: RequestObserver;
}

/** A UUID, nginx's $request_id (32 hex), a trace id: bounded in length and to characters safe in a header, a log and a page. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._~:+/=-]{1,128}$/;

export function requestLogger(logger: Logger, { trustRequestId = false, observe }: RequestLoggerOptions = {}) {
  return function logRequest(req: Request, res: Response, next: NextFunction): void {
    const started = performance.now();
    const offered = trustRequestId ? req.headers['x-request-id'] : undefined;
    const id = typeof offered === 'string' && SANE_REQUEST_ID.test(offered) ? offered : crypto.randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    // A response emits 'close' once it is done, after 'finish', or alone when the client left first.
    res.once('close', () => {
      const elapsedMs = performance.now() - started;
      observe?.(req, res, elapsedMs / 1000);
      const statusCode = res.statusCode;
      const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
      logger[level]({
        req: { id, method: req.method, path: req.originalUrl.split('?', 1)[0] },
        res: { statusCode },
        responseTime: Math.round(elapsedMs),
      }, res.writableFinished ? 'request completed' : 'request aborted');
    });
    next();
  };
}
