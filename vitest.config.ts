import { cloudflareTest } from '@cloudflare/vitest-plugin';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: [
      './tests/setup/global.ts',
      './tests/setup/clerk-keys.ts',
      './tests/setup/upstash.ts',
      './tests/setup/redis-outage.ts',
    ],
    projects: [
      {
        test: { name: 'db', include: ['tests/db/**/*.test.ts'], environment: 'node' },
      },
      {
        test: { name: 'redis', include: ['tests/redis/**/*.test.ts'], environment: 'node' },
      },
      {
        // Worker code imported into Node, for checks that need Node-only tools (schema validators).
        resolve: { alias: { 'cloudflare:sockets': new URL('./tests/support/no-sockets.ts', import.meta.url).pathname } },
        test: { name: 'contract', include: ['tests/contract/**/*.test.ts'], environment: 'node' },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              hyperdrives: { HYPERDRIVE: inject('appDatabaseUrl') },
              bindings: {
                CLERK_JWT_KEY: inject('clerkPublicPem'),
                CLERK_AUTHORIZED_PARTIES: 'http://localhost:4321',
                CLERK_WEBHOOK_SECRET: inject('clerkWebhookSecret'),
                UPSTASH_REDIS_REST_URL: inject('upstashUrl'),
                UPSTASH_REDIS_REST_TOKEN: inject('upstashToken'),
              },
            },
          })),
        ],
        test: { name: 'worker', include: ['tests/worker/**/*.test.ts'] },
      },
      {
        plugins: [react()],
        test: {
          name: 'site',
          include: ['tests/site/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['tests/site/support/setup.ts'],
        },
      },
    ],
  },
});
