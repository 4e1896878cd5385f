import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface ApiErrorOptions {
  /** Stable and machine-readable: what clients branch on. */
  code: string;
  message: string;
  /** Sent as `error.details`. */
  details?: unknown;
  /** Set on the response, e.g. Retry-After. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error the API means to show: a status, a stable code and a human message (options as in Hono's HTTPException). */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: string;
  readonly details: unknown;
  readonly headers: Record<string, string> | undefined;
  constructor(
    readonly status: ContentfulStatusCode,
    { code, message, details, headers, ...errorOptions }: ApiErrorOptions,
  ) {
    // What is left is Error's own `cause`, passed only when given: as for a plain Error, no cause, no property.
    super(message, errorOptions);
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export const notFound = (what = 'Resource') => new ApiError(404, { code: 'not_found', message: `${what} not found` });

/** Over a limit: 429 naming the scope that refused, with Retry-After (and the limit, where one is known). */
export const tooManyRequests = (
  scope: string,
  retryAfterSeconds: number,
  { limit, headers = {} }: { limit?: number; headers?: Record<string, string> } = {},
) =>
  new ApiError(429, {
    code: 'rate_limited',
    message: `Too many requests for this ${scope}; retry in ${retryAfterSeconds} s`,
    details: { scope, ...(limit === undefined ? {} : { limit }), retry_after_seconds: retryAfterSeconds },
    headers: { ...headers, 'Retry-After': String(retryAfterSeconds) },
  });

/** A dependency (database, Redis, identity provider) cannot be reached: the caller may retry. */
export class DependencyError extends ApiError {
  constructor(
    readonly dependency: string,
    cause: unknown,
  ) {
    super(503, {
      code: `${dependency.replaceAll(' ', '_')}_unavailable`,
      message: `The ${dependency} is unavailable; retry shortly`,
      cause,
    });
  }
}
