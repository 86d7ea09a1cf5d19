/**
 * Errors that mean "the database is not answering", as opposed to a bug: the request gets a
 * 503 and the process carries on, reconnecting on a later request.
 */
const UNAVAILABLE_CODES = new Set([
  // The socket: refused, reset, timed out, unreachable, gone.
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // mysql2: the connection died, or the server is going away or full.
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_NET_READ_ERROR',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  // A server in read-only mode (a replica, a failover in progress) refusing writes.
  'ER_OPTION_PREVENTS_STATEMENT',
  // SQLite: locked past busy_timeout, or the file cannot be read or written.
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
]);

/** mysql2 reports a query on a connection it already knows is dead with no code, only this. */
const CLOSED_CONNECTION = /connection is in closed state|Connection lost/i;

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  const { code, name, fatal, message, cause, errors } = error as {
    code?: unknown; name?: unknown; fatal?: unknown; message?: unknown; cause?: unknown; errors?: unknown;
  };
  if (name === 'KnexTimeoutError') return true; // no connection within acquireConnectionTimeout
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  if (fatal === true) return true; // mysql2 marks errors that killed the connection
  if (typeof message === 'string' && CLOSED_CONNECTION.test(message)) return true;
  // Node's happy-eyeballs connect fails with an AggregateError of one error per address.
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}
