import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { notFound } from '../errors';
import type { AppEnv } from '../types';

/**
 * The API reference: Swagger UI from the installed `swagger-ui-dist` (versioned by the lockfile, bundled
 * into the Worker as text), configured by a script of ours. Everything the page loads comes from this
 * origin: no CDN, no inline script or style, so its CSP names no other origin and no `unsafe-inline`
 * (docs/decisions/008-api-reference-from-own-origin.md).
 */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>MeatyMusic AMCS API reference</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  </head>
  <body>
    <main id="reference"></main>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/init.js"></script>
  </body>
</html>
`;

// validatorUrl: null, or Swagger UI sends the document to validator.swagger.io for a badge.
const INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#reference',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

/** The files of swagger-ui-dist the page uses, loaded on first use: most isolates never serve /docs. */
const VENDORED: Record<string, { type: string; load: () => Promise<{ default: string }> }> = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', load: () => import('swagger-ui-dist/swagger-ui.css') },
  'swagger-ui-bundle.js': {
    type: 'text/javascript; charset=utf-8',
    load: () => import('swagger-ui-dist/swagger-ui-bundle.js'),
  },
};

export function mountDocs(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A Clerk session token',
  });
  app.doc31('/openapi.json', (c) => {
    const { title, description, version } = c.get('settings').service;
    return { openapi: '3.1.0', info: { title, description, version } };
  });
  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', DOCS_CSP);
    return c.html(PAGE);
  });
  app.get('/docs/assets/init.js', (c) => asset(c, 'text/javascript; charset=utf-8', INIT));
  app.get('/docs/assets/:file', async (c) => {
    const name = c.req.param('file');
    const file = Object.hasOwn(VENDORED, name) ? VENDORED[name] : undefined;
    if (!file) throw notFound('File');
    return asset(c, file.type, (await file.load()).default);
  });
}

function asset(c: Context<AppEnv>, type: string, body: string) {
  return c.body(body, 200, { 'Content-Type': type, 'Cache-Control': 'public, max-age=3600' });
}
