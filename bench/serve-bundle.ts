import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Serves a built Worker bundle (`wrangler deploy --dry-run --outdir`) with workerd through Miniflare,
 * as production runs it: no dev-server proxy, inspector session or log relay in the request's path.
 * Started by the bench as a supervised process (bench/lib/services.ts); its workerd child is what the
 * bench reads CPU time from. Settings come as JSON in BENCH_WORKERD (see the schema).
 */
const Options = z.object({
  bundleDir: z.string().min(1),
  port: z.number().int().min(1).max(65_535),
  compatibilityDate: z.string(),
  compatibilityFlags: z.array(z.string()),
  bindings: z.record(z.string(), z.string()),
  /** The Hyperdrive binding's local connection string (sslmode=disable: workerd connects directly). */
  databaseUrl: z.string().url(),
  /** Opens the DevTools protocol (V8's sampling profiler) on this port: bench/profile.ts. */
  inspectorPort: z.number().int().min(1).max(65_535).optional(),
});
const options = Options.parse(JSON.parse(process.env.BENCH_WORKERD ?? '{}'));

// The Miniflare wrangler itself runs (its own pinned version), not whichever copy is hoisted to the root.
const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler'));
const { Miniflare, convertV4MiniflareOptions } = (await import(
  fromWrangler.resolve('miniflare')
)) as typeof import('miniflare');

// The entry module first (workerd's main module), then the text modules it imports by name.
const modules = [
  { type: 'ESModule' as const, path: join(options.bundleDir, 'index.js') },
  ...readdirSync(options.bundleDir)
    .filter((name) => name !== 'index.js' && /\.(js|css)$/.test(name))
    .map((name) => ({ type: 'Text' as const, path: join(options.bundleDir, name) })),
];

const database = new URL(options.databaseUrl);
database.searchParams.set('sslmode', 'disable');
const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: '127.0.0.1',
    port: options.port,
    ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
    modulesRoot: options.bundleDir,
    modules,
    compatibilityDate: options.compatibilityDate,
    compatibilityFlags: options.compatibilityFlags,
    bindings: options.bindings,
    hyperdrives: { HYPERDRIVE: database.toString() },
    // The bench is one client: the per-client edge limit must never refuse it.
    ratelimits: { CLIENT_LIMITER: { namespace_id: '1001', simple: { limit: 1_000_000_000, period: 60 } } },
    // The Worker's log lines are drained here, as the platform's log pipeline would take them.
    handleStructuredLogs: () => {},
  }),
);
const url = await mf.ready;
console.log(`workerd serving ${options.bundleDir} at ${url}`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void mf.dispose().finally(() => process.exit(0));
  });
}
