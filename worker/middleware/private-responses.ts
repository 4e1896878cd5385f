import type { MiddlewareHandler } from 'hono';

export type PrivateResponsesOptions = {
  /** The request headers that carry credentials: a shared cache must key on them, if it stores at all. */
  credentials?: string[];
};

/**
 * Responses to credentialed requests carry one person's data (names, emails, preferences): no shared
 * cache may keep them, errors included. A route that means revalidation sets `private, no-cache` with
 * an ETag itself; anything not marked private becomes `private, no-store`.
 */
export function privateResponses({
  credentials = ['Authorization', 'Cookie'],
}: PrivateResponsesOptions = {}): MiddlewareHandler {
  return async function privateResponses(c, next) {
    await next();
    const directives = c.res.headers.get('Cache-Control');
    if (
      !directives
        ?.toLowerCase()
        .split(/\s*,\s*/)
        .includes('private')
    )
      c.header('Cache-Control', 'private, no-store');
    c.header('Vary', credentials.join(', '), { append: true });
  };
}
