import pino, { Logger } from 'pino';
import type { Config } from '../config/env';

/**
 * Nothing secret reaches a log line: credentials travel in headers and bodies, which are
 * either redacted here or never serialised (see requestLogger).
 */
export function createLogger(config: Config): Logger {
  return pino({
    level: config.log.level,
    base: undefined,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.token'],
      censor: '[redacted]',
    },
  });
}
