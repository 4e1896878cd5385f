import type { OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import type { AppEnv } from '../types';

/** `/openapi.json` generated from the routes' own zod schemas, and a reference UI at `/docs`. */
export function mountDocs(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A Clerk session token',
  });
  app.doc31('/openapi.json', (c) => {
    const { title, description, version } = c.var.settings.service;
    return { openapi: '3.1.0', info: { title, description, version } };
  });
  app.get(
    '/docs',
    async (c, next) => {
      await next();
      // The reference UI is a script from jsDelivr configured inline; allow exactly that.
      c.header(
        'Content-Security-Policy',
        [
          "default-src 'none'",
          "script-src 'unsafe-inline' https://cdn.jsdelivr.net",
          "style-src 'unsafe-inline' https://cdn.jsdelivr.net",
          'font-src https://cdn.jsdelivr.net https://fonts.scalar.com data:',
          "img-src 'self' data: https:",
          "connect-src 'self'",
          "frame-ancestors 'none'",
          "base-uri 'none'",
        ].join('; '),
      );
    },
    Scalar({ url: '/openapi.json', pageTitle: 'MeatyMusic AMCS API' }),
  );
}
