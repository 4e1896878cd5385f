import { cloudflareTest } from '@cloudflare/vitest-plugin';
import react from '@vitejs/plugin-react';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

type Inject = Parameters<Extract<Parameters<typeof cloudflareTest>[0], (...args: never[]) => unknown>>[0]['inject'];

/**
 * A project whose tests run inside workerd against the real Worker, its Hyperdrive on `database`.
 * wrangler.toml's top level is production-safe, so development comes from these bindings.
 */
function workerProject(
  name: string,
  database: 'appDatabaseUrl' | 'corpusAppDatabaseUrl',
  bindings: (inject: Inject) => Record<string, string>,
): TestProjectInlineConfiguration {
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          hyperdrives: { HYPERDRIVE: inject(database) },
          // The whole suite is one client to the pre-auth limit; the tight binding is for testing it.
          ratelimits: {
            CLIENT_LIMITER: { namespace_id: '1001', simple: { limit: 1_000_000, period: 60 } },
            TIGHT_CLIENT_LIMITER: { namespace_id: '9001', simple: { limit: 5, period: 60 } },
          },
          bindings: {
            ENVIRONMENT: 'development',
            CORS_ORIGINS: 'http://localhost:4321,http://127.0.0.1:4321',
            CLERK_JWT_KEY: inject('clerkPublicPem'),
            CLERK_AUTHORIZED_PARTIES: 'http://localhost:4321',
            CLERK_WEBHOOK_SECRET: inject('clerkWebhookSecret'),
            ...bindings(inject),
          },
        },
      })),
    ],
    // A file's first request compiles the whole Worker in workerd: seconds on a busy 2-core machine.
    test: { name, include: [`tests/${name}/**/*.test.ts`], testTimeout: 20_000 },
  };
}

export default defineConfig({
  test: {
    // The Worker logs a JSON line per request: show them only for tests that fail.
    silent: 'passed-only',
    // Starts only what the selected projects use: databases, Clerk keys, Redis stand-ins, outage proxies.
    globalSetup: ['./tests/setup/by-project.ts'],
    projects: [
      {
        test: { name: 'db', include: ['tests/db/**/*.test.ts'], environment: 'node' },
      },
      {
        test: { name: 'redis', include: ['tests/redis/**/*.test.ts'], environment: 'node' },
      },
      {
        // Worker code imported into Node, for checks that need Node-only tools (schema validators).
        resolve: {
          alias: { 'cloudflare:sockets': new URL('./tests/support/no-sockets.ts', import.meta.url).pathname },
        },
        test: { name: 'contract', include: ['tests/contract/**/*.test.ts'], environment: 'node' },
      },
      workerProject('worker', 'appDatabaseUrl', (inject) => ({
        UPSTASH_REDIS_REST_URL: inject('upstashUrl'),
        UPSTASH_REDIS_REST_TOKEN: inject('upstashToken'),
      })),
      // Its own database, so "nothing changed" holds over every row. One caller sends hundreds of
      // requests: limits would turn the corpus into 429s.
      workerProject('corpus', 'corpusAppDatabaseUrl', () => ({ RATE_LIMIT_ENABLED: 'false' })),
      {
        plugins: [react()],
        test: {
          name: 'site',
          include: ['tests/site/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['tests/site/support/setup.ts'],
        },
      },
      {
        // Logger, trace processor, OTLP receiver; and the Worker under wrangler dev (ports 18200-18299)
        // exporting to a real OTLP receiver started by the test.
        test: {
          name: 'observability',
          include: ['tests/observability/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Starts its own wrangler dev (API) and wrangler pages dev (the built site, with its _headers), on
        // ports 18300-18303 or from E2E_PORT_BASE, and drives Debian's Chromium.
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          // A real browser on a busy 2-core machine can paint mid-parse (a 0.00004 layout shift once): one
          // retry, as Playwright's CI default does, so that is not a red build; a real regression fails twice.
          retry: 1,
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        // The Worker as staging and production run it (`wrangler dev --env <name>`, local mode) with the
        // test's Clerk keys and local stand-ins for the services; ports from E2E_PORT_BASE + 10 (18310-18329).
        test: {
          name: 'deployed',
          include: ['tests/deployed/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The local stack (npm run dev, verify, docker-compose, workflows) and the repository's tooling (this
        // file's global setup included); its servers use ports 18400-18439.
        test: {
          name: 'stack',
          include: ['tests/stack/**/*.test.ts'],
          environment: 'node',
          testTimeout: 240_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
