import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { V4MiniflareOptions } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { packageBin, REPO_ROOT } from '../scripts/dev/paths';
import { median, round } from './lib/stats';

// The Miniflare wrangler itself runs (its own pinned version), not whichever copy is hoisted to the root.
const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler'));
const { Miniflare, convertV4MiniflareOptions } = (await import(
  fromWrangler.resolve('miniflare')
)) as typeof import('miniflare');

export type BundleSize = { files: { name: string; raw: number; gzip: number }[]; raw: number; gzip: number };

/**
 * What `wrangler deploy` would upload (minified), and its size gzipped at level 9. Source maps are not
 * uploaded code. `minify: false` keeps names and esbuild's module comments, for the profiler.
 */
export async function measureBundle(outDir: string, { minify = true } = {}): Promise<BundleSize> {
  rmSync(outDir, { recursive: true, force: true });
  await promisify(execFile)(
    process.execPath,
    [packageBin('wrangler'), 'deploy', '--dry-run', '--outdir', outDir, minify ? '--minify' : '--no-minify', '--env='],
    { cwd: REPO_ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  const files = readdirSync(outDir)
    .filter((name) => /\.(m?js|wasm)$/.test(name))
    .map((name) => {
      const body = readFileSync(join(outDir, name));
      return { name, raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
    });
  return {
    files,
    raw: files.reduce((n, f) => n + f.raw, 0),
    gzip: files.reduce((n, f) => n + f.gzip, 0),
  };
}

export type StartupResult = {
  runs: number;
  /** Median ms from creating the runtime to the first `/healthz` answer. */
  api: { ready: number; firstResponse: number; total: number };
  trivial: { ready: number; firstResponse: number; total: number };
  /** What the API's code adds to a cold start: median total minus the trivial Worker's. */
  overheadMs: number;
};

const TRIVIAL_WORKER = 'export default { fetch() { return new Response("ok"); } };';

/**
 * `wrangler check startup` needs Cloudflare's API for the Hyperdrive binding, so this measures the
 * equivalent locally: workerd (through Miniflare, as wrangler dev runs it) loading the built bundle
 * with the API's real bindings and answering a first `/healthz`, against the same for a trivial Worker.
 * Runs alternate between the two so machine noise weighs on both.
 */
export async function measureStartup(bundleDir: string, runs: number): Promise<StartupResult> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(REPO_ROOT, 'wrangler.toml'));
  // Typed against wrangler's own miniflare, not the hoisted copy these types come from.
  const worker = {
    compatibilityDate: workerOptions.compatibilityDate as string,
    compatibilityFlags: workerOptions.compatibilityFlags as string[],
  };
  // The top level is production's, which refuses to start without its secrets: development's vars
  // start the same code.
  const bindings = { ...(workerOptions.bindings as Record<string, string>), ENVIRONMENT: 'development' };
  const hyperdrives = workerOptions.hyperdrives as Record<string, string>;
  const boot = (options: V4MiniflareOptions) =>
    new Miniflare({
      ...convertV4MiniflareOptions({ ...options, host: '127.0.0.1', port: 0 }),
      // The API logs a line per span in development: drained, not printed over the bench's output.
      handleStructuredLogs: () => {},
    });
  const api = () =>
    boot({ ...worker, bindings, hyperdrives, modules: [{ type: 'ESModule', path: join(bundleDir, 'index.js') }] });
  const trivial = () => boot({ ...worker, modules: true, script: TRIVIAL_WORKER });

  const timings = { api: [] as Timing[], trivial: [] as Timing[] };
  for (let i = 0; i < runs; i++) {
    timings.api.push(await bootOnce(api));
    timings.trivial.push(await bootOnce(trivial));
  }
  const summary = (list: Timing[]) => ({
    ready: round(median(list.map((t) => t.ready))),
    firstResponse: round(median(list.map((t) => t.firstResponse))),
    total: round(median(list.map((t) => t.ready + t.firstResponse))),
  });
  const result = { api: summary(timings.api), trivial: summary(timings.trivial) };
  return { runs, ...result, overheadMs: round(result.api.total - result.trivial.total) };
}

type Timing = { ready: number; firstResponse: number };

async function bootOnce(create: () => InstanceType<typeof Miniflare>): Promise<Timing> {
  const started = performance.now();
  const mf = create();
  try {
    await mf.ready;
    const ready = performance.now();
    const response = await mf.dispatchFetch('http://127.0.0.1/healthz');
    await response.text();
    if (!response.ok) throw new Error(`first /healthz -> ${response.status}`);
    return { ready: ready - started, firstResponse: performance.now() - ready };
  } finally {
    await mf.dispose();
  }
}
