import { cloudflareTest } from '@cloudflare/vitest-plugin';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./tests/setup/global.ts', './tests/setup/clerk-keys.ts'],
    projects: [
      {
        test: { name: 'db', include: ['tests/db/**/*.test.ts'], environment: 'node' },
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
              },
            },
          })),
        ],
        test: { name: 'worker', include: ['tests/worker/**/*.test.ts'] },
      },
      {
        plugins: [react()],
        test: { name: 'site', include: ['tests/site/**/*.test.{ts,tsx}'], environment: 'jsdom' },
      },
    ],
  },
});
