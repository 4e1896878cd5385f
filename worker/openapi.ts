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
      throw new ApiError(isBody ? 422 : 400, {
        code: isBody ? 'validation_failed' : 'invalid_request',
        message: isBody ? 'The request body is not valid' : `Invalid ${result.target}`,
        details: issuesOf(result.error),
      });
    },
  });
}

/**
 * The request body media types of every documented operation, read from the app's own OpenAPI
 * registry once (on first use, when every route is mounted): what the document promises is what
 * the media-type middleware enforces.
 */
export function declaredMediaTypes(app: OpenAPIHono<AppEnv>) {
  let byOperation: Map<string, string[]> | undefined;
  return (method: string, path: string) => {
    byOperation ??= new Map(
      app.openAPIRegistry.definitions.flatMap((def) =>
        def.type === 'route'
          ? [
              [
                `${def.route.method.toUpperCase()} ${def.route.path}`,
                Object.keys(def.route.request?.body?.content ?? {}),
              ],
            ]
          : [],
      ),
    );
    return byOperation.get(`${method} ${path}`);
  };
}
