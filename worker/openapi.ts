import { OpenAPIHono } from '@hono/zod-openapi';
import { issuesOf } from './error-handler';
import { ApiError } from './errors';
import type { AppEnv } from './types';

/**
 * A router whose validation failures take the API's error shape: a bad body is 422 (the JSON was
 * fine, its content is not), a bad header, path or query is 400.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const isBody = result.target === 'json' || result.target === 'form';
      throw new ApiError(
        isBody ? 422 : 400,
        isBody ? 'validation_failed' : 'invalid_request',
        isBody ? 'The request body is not valid' : `Invalid ${result.target}`,
        issuesOf(result.error),
      );
    },
  });
}
