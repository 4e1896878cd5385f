import { DrizzleQueryError } from 'drizzle-orm';
import postgres from 'postgres';

/** SQLSTATEs of a server going away or full (class 08, connection_exception, counts too). */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/** postgres.js's own connection errors, and Node's socket errors it passes on: plain Errors with a `code`. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/** Connection-level failures (as opposed to a bad statement) that mean "the database is down". */
export function isUnavailableError(error: unknown): boolean {
  if (error instanceof postgres.PostgresError) {
    return UNAVAILABLE_SQLSTATES.has(error.code) || error.code.startsWith('08');
  }
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  // A wrapper (drizzle's DrizzleQueryError, a DependencyError) is judged by what it wraps.
  if (error.cause !== undefined) return isUnavailableError(error.cause);
  // workerd's socket layer (cloudflare:sockets) reports a refused or dropped connection as a plain
  // Error, with neither a class nor a code to tell it by: its text is all there is.
  return code === undefined && /connect|socket|network connection/i.test(error.message);
}

/**
 * Postgres ran out of time on the statement (statement_timeout). 57014 also means a cancel request,
 * which this client never sends.
 */
export function isStatementTimeout(error: unknown): boolean {
  return error instanceof postgres.PostgresError && error.code === '57014';
}

/**
 * What failed, without drizzle's wrapper: DrizzleQueryError's message quotes the statement and its
 * parameters (emails, names, documents), which must not reach logs, spans or responses.
 */
export function driverError(error: unknown): unknown {
  return error instanceof DrizzleQueryError && error.cause !== undefined ? error.cause : error;
}
