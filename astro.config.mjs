import react from '@astrojs/react';
import { defineConfig, envField } from 'astro/config';

const publicVar = (options) => envField.string({ context: 'client', access: 'public', ...options });

// Static output: every page is HTML at build time and the dashboard's islands talk to the API from the
// browser, so the site deploys as plain assets (docs/decisions/002-static-site-with-islands.md).
export default defineConfig({
  srcDir: './site',
  outDir: './dist/site',
  publicDir: './site/public',
  output: 'static',
  // Absolute URLs for canonical and Open Graph tags; the deploy sets the real origin.
  site: process.env.SITE_URL ?? 'http://localhost:4321',
  integrations: [react()],
  build: { inlineStylesheets: 'always' },
  devToolbar: { enabled: false },
  // Validated at build time (astro:env); a bad value fails the build with the variable's name.
  env: {
    schema: {
      PUBLIC_API_URL: publicVar({ url: true, default: 'http://localhost:8787' }),
      PUBLIC_APP_NAME: publicVar({ min: 1, max: 40, default: 'MeatyMusic' }),
      // Set in production: the dashboard signs in with Clerk. Unset: the API's development bypass.
      PUBLIC_CLERK_PUBLISHABLE_KEY: publicVar({ optional: true, startsWith: 'pk_' }),
    },
  },
});
