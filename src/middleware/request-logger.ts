import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import pinoHttp from 'pino-http';

/**
 * Request logs with a request id (also sent back as X-Request-Id and shown on error pages).
 * Only the method, the path without its query string, the status and the timing are logged:
 * no headers, no cookies, no bodies, so no token or password can end up in a log.
 */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId(_req: IncomingMessage, res: ServerResponse) {
      const id = crypto.randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel(_req: IncomingMessage, res: ServerResponse, error?: Error) {
      if (error || res.statusCode >= 500) return 'error';
      return res.statusCode >= 400 ? 'warn' : 'info';
    },
  });
}
