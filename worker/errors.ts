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
