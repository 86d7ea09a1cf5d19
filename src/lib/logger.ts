import pino, { Logger } from 'pino';
import type { Config } from '../config/env';

/**
 * Nothing secret reaches a log line: credentials travel in headers and bodies, which are
 * either redacted here or never serialised (see requestLogger).
 *
 * Lines go to stdout asynchronously: one write per request was a blocking write(2) on the event
 * loop, which measurably slowed every request during a login storm (`npm run bench -- --cpu-prof`);
 * now lines that pile up while a write is in flight go out together. pino flushes what is left
 * when the process exits, fatal paths included.
 */
export function createLogger(config: Config): Logger {
  return pino({
    level: config.log.level,
    base: undefined,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.token'],
      censor: '[redacted]',
    },
  }, pino.destination({ dest: 1, sync: false }));
}
