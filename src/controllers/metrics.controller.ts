import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { UnauthorizedError } from '../errors/app-error';
import { readBearerToken } from '../lib/auth-cookies';
import { msg } from '../lib/i18n';
import type { AppContext } from '../types/context';

export const METRICS_MESSAGES = {
  unauthenticated: msg('api.metricsUnauthenticated'),
} as const;

const digest = (text: string) => crypto.createHash('sha256').update(text).digest();

/**
 * GET /metrics. With METRICS_TOKEN set only `Authorization: Bearer <METRICS_TOKEN>` is
 * answered, compared in constant time (digests of equal length); routes/home.routes.ts does not
 * mount it at all in production without a token.
 */
export function createMetricsController({ config, services }: AppContext) {
  const expected = config.metrics.token === undefined ? undefined : digest(config.metrics.token);
  return {
    async scrape(req: Request, res: Response) {
      if (expected) {
        const presented = readBearerToken(req);
        if (!presented || !crypto.timingSafeEqual(digest(presented), expected)) {
          res.set('WWW-Authenticate', 'Bearer realm="metrics"');
          throw new UnauthorizedError(METRICS_MESSAGES.unauthenticated, 'unauthenticated');
        }
      }
      const { contentType, body } = await services.metrics.scrape();
      res.type(contentType).send(body);
    },
  };
}
