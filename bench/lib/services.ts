import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { wranglerDev } from '../../scripts/dev/commands';
import { logFiles } from '../../scripts/dev/log-files';
import { packageBin, REPO_ROOT } from '../../scripts/dev/paths';
import type { SpawnServiceOptions, Supervisor } from '../../scripts/dev/process';
import { httpGet, listening } from '../../scripts/dev/wait';
import { startThrowawayRedis } from '../../tests/support/redis-server';
import { findDescendant, processCpuMs } from './cpu';

export const HOST = '127.0.0.1';
/** Scratch space of bench and load runs (git-ignored): pid files, logs, builds, wrangler state. */
export const WORK_DIR = join(REPO_ROOT, 'bench', 'tmp');

/**
 * Starts the processes a run needs, each in its own process group with a pid file (a later run reaps
 * what a killed one left), its output in `<logDir>/<name>.log`, and its stop registered with the supervisor.
 */
export function createServices(supervisor: Supervisor, logDir: string) {
  const logs = logFiles(logDir, () => {});
  supervisor.defer('logs', () => logs.close());
  // Beside the logs, so a bench and a load run side by side never end each other's services.
  const runDir = join(logDir, 'run');
  mkdirSync(runDir, { recursive: true });

  async function start(
    options: Omit<SpawnServiceOptions, 'pidFile' | 'onLine'>,
    ready: () => Promise<unknown>,
    timeoutMs = 60_000,
  ) {
    // The pid file first ends whatever a killed earlier run left under it.
    const { service } = await supervisor.start({
      ...options,
      cwd: options.cwd ?? REPO_ROOT,
      pidFile: join(runDir, `${options.name}.pid`),
      onLine: logs.sink(options.name),
      ready,
      timeoutMs,
    });
    return service;
  }

  /** A TypeScript entry point of this repository, run with this Node through tsx; ready when `ready` resolves. */
  const tsScript = (
    name: string,
    script: string,
    args: string[],
    env: Record<string, string>,
    port: number,
    ready: () => Promise<unknown> = () => listening(HOST, port),
  ) =>
    start(
      { name, command: process.execPath, args: ['--import', 'tsx', script, ...args], env: { ...process.env, ...env } },
      ready,
      60_000,
    );

  return {
    logFile: logs.file,

    /** An empty, private redis-server behind the local Upstash-protocol endpoint (scripts/upstash-endpoint.ts). */
    async redis(port: number, token: string) {
      const redis = await startThrowawayRedis();
      supervisor.defer('redis', () => redis.stop());
      await tsScript(
        'upstash',
        'scripts/upstash-endpoint.ts',
        [],
        { UPSTASH_ENDPOINT_PORT: String(port), REDIS_URL: redis.url, UPSTASH_TOKEN: token },
        port,
      );
      return { url: `http://${HOST}:${port}`, token, redisUrl: redis.url };
    },

    /** The local OTLP/HTTP receiver the API exports its spans to, as a collector would receive them. */
    async otlpReceiver(port: number) {
      await tsScript('otlp', 'scripts/otlp-receiver.ts', ['--port', String(port), '--host', HOST], {}, port);
      return `http://${HOST}:${port}`;
    },

    /** `wrangler dev` of a config (the API's by default) with vars and the Hyperdrive binding's database. */
    async wranglerDev({
      name,
      config,
      port,
      inspectorPort,
      databaseUrl,
      vars,
      readyPath = '/healthz',
    }: {
      name: string;
      config?: string;
      port: number;
      inspectorPort: number;
      databaseUrl: string;
      vars: Record<string, string>;
      readyPath?: string;
    }) {
      const url = `http://${HOST}:${port}`;
      await start(
        {
          name,
          ...wranglerDev({
            host: HOST,
            port,
            inspectorPort,
            persistTo: join(logDir, 'wrangler', name),
            vars,
            databaseUrl,
            config,
          }),
        },
        () => httpGet(`${url}${readyPath}`),
        120_000,
      );
      return url;
    },

    /**
     * The built bundle served by workerd through Miniflare (bench/serve-bundle.ts), as production runs
     * it. `cpuMs()` reads the workerd process's CPU time: the Worker's own cost, not the load generator's.
     */
    async workerd({ name, port, bundleDir, databaseUrl, bindings, inspectorPort }: WorkerdOptions) {
      const url = `http://${HOST}:${port}`;
      const settings = {
        bundleDir,
        port,
        inspectorPort,
        databaseUrl,
        ...workerConfig(),
        bindings: { ...workerConfig().bindings, ...bindings },
      };
      const proc = await tsScript(
        `workerd-${name}`,
        'bench/serve-bundle.ts',
        [],
        { BENCH_WORKERD: JSON.stringify(settings) },
        port,
        () => httpGet(`${url}/healthz`),
      );
      const workerd = findDescendant(proc.pid, 'workerd');
      if (workerd === null) throw new Error(`${name}: no workerd process under ${proc.pid}`);
      return { url, cpuMs: () => processCpuMs(workerd), stop: () => proc.stop() };
    },

    /** The pooled Node peer (bench/peer/): Hono on node:http, postgres.js pool, node-redis. */
    async peer({ port, databaseUrl, redisUrl, jwtPublicPem, authorizedParties }: PeerServiceOptions) {
      const url = `http://${HOST}:${port}`;
      const proc = await tsScript(
        'peer',
        'bench/peer/server.ts',
        [],
        {
          PEER_PORT: String(port),
          PEER_DATABASE_URL: databaseUrl,
          PEER_REDIS_URL: redisUrl,
          PEER_JWT_KEY: jwtPublicPem,
          PEER_AUTHORIZED_PARTIES: authorizedParties,
        },
        port,
        () => httpGet(`${url}/healthz`),
      );
      return { url, cpuMs: () => processCpuMs(proc.pid), stop: () => proc.stop() };
    },

    /** `astro preview` of a site built into `outDir`. */
    async astroPreview(port: number, outDir: string) {
      const url = `http://${HOST}:${port}`;
      await start(
        {
          name: 'site',
          command: process.execPath,
          args: [
            packageBin('astro'),
            'preview',
            '--host',
            HOST,
            '--port',
            String(port),
            '--outDir',
            outDir,
            '--ignore-lock',
          ],
          env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
        },
        () => httpGet(`${url}/`),
      );
      return url;
    },
  };
}

export type Services = ReturnType<typeof createServices>;
export type Served = { url: string; cpuMs(): number; stop(): Promise<void> };

export type WorkerdOptions = {
  name: string;
  port: number;
  /** `wrangler deploy --dry-run --outdir` output. */
  bundleDir: string;
  databaseUrl: string;
  /** Vars over wrangler.toml's own. */
  bindings: Record<string, string>;
  /** DevTools protocol port (V8 profiler); none by default. */
  inspectorPort?: number;
};

export type PeerServiceOptions = {
  port: number;
  databaseUrl: string;
  redisUrl: string;
  jwtPublicPem: string;
  authorizedParties: string;
};

/** wrangler.toml's compatibility settings and vars, as wrangler would hand them to Miniflare. */
function workerConfig() {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(REPO_ROOT, 'wrangler.toml'));
  return {
    compatibilityDate: workerOptions.compatibilityDate as string,
    compatibilityFlags: workerOptions.compatibilityFlags as string[],
    bindings: workerOptions.bindings as Record<string, string>,
  };
}
