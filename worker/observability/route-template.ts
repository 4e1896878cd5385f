import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';

/**
 * The route as registered (`/v1/users/:id`), never the concrete path, so span names and log fields
 * group requests without carrying ids. Undefined when only middleware matched (a 404).
 */
export function routeTemplate(c: Context): string | undefined {
  // Middleware is registered for every method (`ALL`); a route handler for its own.
  const handler = matchedRoutes(c).findLast((route) => route.method !== 'ALL');
  return handler?.path;
}
