import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { driverError, isUnavailableError } from '../db/errors';
import { ConfigError } from './config';
import { ApiError, DependencyError } from './errors';
import type { AppEnv } from './types';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  411: 'length_required',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation_failed',
  428: 'precondition_required',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/** Every failure leaves as the same JSON shape, with the ids needed to find its log lines. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  const apiError = toApiError(err);
  const log = c.get('logger');
  const cause = driverError(err);
  // An outage is expected and logged once per request, without a stack; anything else 5xx is a bug.
  if (apiError.status === 503) log?.warn(apiError.message, { code: apiError.code, cause: String(cause) });
  else if (apiError.status >= 500) log?.error(apiError.message, { code: apiError.code, error: cause });
  return errorResponse(c, apiError, cause);
};

export const onNotFound: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(c, new ApiError(404, { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` }));

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ZodError) {
    return new ApiError(422, {
      code: 'validation_failed',
      message: 'The request is not valid',
      details: issuesOf(err),
    });
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return new ApiError(status, {
      code: CODE_BY_STATUS[status] ?? 'http_error',
      message: err.message || 'Request failed',
    });
  }
  // The details (which may quote a credential-bearing value) are in the log, not the response.
  if (err instanceof ConfigError) {
    return new ApiError(500, { code: 'config_invalid', message: 'The service is misconfigured' });
  }
  if (isUnavailableError(err)) return new DependencyError('database', err);
  return new ApiError(500, { code: 'internal_error', message: 'An unexpected error occurred' });
}

export function issuesOf(err: ZodError) {
  return err.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
}

function errorResponse(c: Context<AppEnv>, e: ApiError, cause?: unknown) {
  // Only an unexpected failure's stack helps; an ApiError (a 503 saying what is missing) is the whole story.
  const showStack =
    c.get('settings')?.isDevelopment && cause instanceof Error && !(cause instanceof ApiError) && e.status >= 500;
  for (const [name, value] of Object.entries(e.headers ?? {})) c.header(name, value);
  return c.json(
    {
      error: {
        code: e.code,
        message: e.message,
        request_id: c.get('requestId') ?? null,
        trace_id: c.get('traceId') ?? null,
        ...(e.details === undefined ? {} : { details: e.details }),
        ...(showStack ? { stack: (cause as Error).stack } : {}),
      },
    },
    e.status,
  );
}
