import react from '@astrojs/react';
import { defineConfig, envField } from 'astro/config';
import { loadEnv } from 'vite';
import { cloudflareHeaders } from './site/security/cloudflare-headers.ts';
import { sitePolicy } from './site/security/csp.ts';

const publicVar = (options) => envField.string({ context: 'client', access: 'public', ...options });
const DEFAULT_API_URL = 'http://localhost:8787';
// The same variables astro:env inlines (process environment and .env files), for the policy's sources.
const env = loadEnv(process.env.NODE_ENV ?? 'production', process.cwd(), '');

// Static output: every page is HTML at build time and the dashboard's islands talk to the API from the
// browser, so the site deploys as plain assets (docs/decisions/002-static-site-with-islands.md).
export default defineConfig({
  srcDir: './site',
  outDir: './dist/site',
  publicDir: './site/public',
  output: 'static',
  // Absolute URLs for canonical and Open Graph tags; the deploy sets the real origin.
  site: process.env.SITE_URL ?? 'http://localhost:4321',
  // cloudflareHeaders: the deploy's HTTP headers (_headers), with the same policy as the pages' <meta>.
  integrations: [react(), cloudflareHeaders()],
  build: { inlineStylesheets: 'always' },
  devToolbar: { enabled: false },
  // The pages have no Markdown code blocks; Shiki (the default) would only add its CSP warning.
  markdown: { syntaxHighlight: false },
  security: {
    csp: sitePolicy({
      apiUrl: env.PUBLIC_API_URL || DEFAULT_API_URL,
      clerkPublishableKey: env.PUBLIC_CLERK_PUBLISHABLE_KEY || undefined,
    }),
  },
  // Validated at build time (astro:env); a bad value fails the build with the variable's name.
  env: {
    schema: {
      PUBLIC_API_URL: publicVar({ url: true, default: DEFAULT_API_URL }),
      PUBLIC_APP_NAME: publicVar({ min: 1, max: 40, default: 'MeatyMusic' }),
      // Set in production: the dashboard signs in with Clerk. Unset: the API's development bypass.
      PUBLIC_CLERK_PUBLISHABLE_KEY: publicVar({ optional: true, startsWith: 'pk_' }),
    },
  },
});
