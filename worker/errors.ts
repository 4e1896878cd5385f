import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An error the API means to show: a status, a stable machine-readable code and a human message. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const notFound = (what = 'Resource') => new ApiError(404, 'not_found', `${what} not found`);

/** Over a limit: 429 naming the scope that refused, with Retry-After (and the limit, where one is known). */
export const tooManyRequests = (
  scope: string,
  retryAfterSeconds: number,
  { limit, headers = {} }: { limit?: number; headers?: Record<string, string> } = {},
) =>
  new ApiError(
    429,
    'rate_limited',
    `Too many requests for this ${scope}; retry in ${retryAfterSeconds} s`,
    { scope, ...(limit === undefined ? {} : { limit }), retry_after_seconds: retryAfterSeconds },
    { ...headers, 'Retry-After': String(retryAfterSeconds) },
  );

/** A dependency (database, Redis, identity provider) cannot be reached: the caller may retry. */
export class DependencyError extends ApiError {
  constructor(
    readonly dependency: string,
    cause: unknown,
  ) {
    super(503, `${dependency.replaceAll(' ', '_')}_unavailable`, `The ${dependency} is unavailable; retry shortly`);
    this.cause = cause;
  }
}
