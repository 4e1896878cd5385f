import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { describeMigrations, ensureDatabase, migrateDatabase } from '../../db/migrate';
import { appUrl, databaseName, withDatabase } from '../local-env';
import { startOtlpReceiver } from '../otlp-receiver';
import { startUpstashEndpoint } from '../upstash-endpoint';
import { wranglerDev } from './commands';
import { logFiles } from './log-files';
import { packageBin, REPO_ROOT } from './paths';
import { startLocalPostgres } from './postgres';
import {
  createSupervisor,
  indent,
  reapStaleIn,
  ServiceFailed,
  type ServiceProcess,
  settleAll,
  startService,
} from './process';
import { startLocalPrometheus } from './prometheus';
import { onPath, serverVersion, startLocalRedis } from './redis';
import { removeTarget, type StackTarget, writeTarget } from './target';
import { assertPortFree, httpGet, retry } from './wait';

export type StackPorts = {
  api: number;
  site: number;
  postgres: number;
  redis: number;
  upstash: number;
  otlp: number;
  /** wrangler's devtools port: fixed by default, so two stacks on one machine need different ones. */
  inspector: number;
  /** Prometheus over the local receiver's metrics (when on PATH, with the API); unset: not started. */
  prometheus?: number;
};

export type StackOptions = {
  /** Kept across restarts: the Postgres cluster, Redis's append-only file, wrangler's state, logs. */
  dataDir: string;
  host: string;
  ports: StackPorts;
  /** A server you run (`DATABASE_URL`), or a cluster the stack runs in the data folder. */
  postgres: { url: string } | 'local';
  /** A Redis you run (`REDIS_URL`), redis-server from PATH, or none (cache and rate limits off). */
  redis: { url: string } | 'local' | 'off';
  /** Where the API exports spans: a collector you run, or the local OTLP receiver. */
  traces: { endpoint: string } | 'local';
  appDatabasePassword: string;
  /** Bearer token of the local Upstash-protocol endpoint. */
  upstashToken: string;
  /** The API's CLERK_WEBHOOK_SECRET, so `npm run webhook:send` can sign sample events. */
  webhookSecret?: string;
  /** The user the dev bypass signs in as; provisioned with the first request that carries it. */
  devUserId: string;
  api: boolean;
  site: boolean;
  /** Every service's output, a line at a time (it also goes to `<dataDir>/logs/<service>.log`). */
  onServiceLine?: (service: string, line: string) => void;
  /** Progress and warnings meant for the person at the terminal. */
  say?: (line: string) => void;
  /** Aborting during start-up stops what was started and rejects. */
  signal?: AbortSignal;
  /** The environment wrangler and astro inherit (default: this process's). */
  env?: NodeJS.ProcessEnv;
};

export type ServiceStatus = { name: string; url: string | null; health: string; ok: boolean };

/** A service process that exited while the stack was meant to be running. */
export type ServiceDeath = { name: string; exit: string; logFile: string; tail: string[] };

export interface Stack {
  status: ServiceStatus[];
  target: StackTarget;
  /** Where `target` is written for `npm run verify`; removed by stop(). */
  targetFile: string;
  /** Process groups started: nothing in them may outlive stop(). */
  processGroups(): number[];
  /** Ports the stack's own services listen on. */
  listening(): number[];
  /** Settles when the first service process exits on its own (not through stop()); never otherwise. */
  died: Promise<ServiceDeath>;
  stop(): Promise<void>;
}

const API_READY_MS = 90_000;
const SITE_READY_MS = 120_000;
// Start-up order, which is also the order a reader checks them in.
const ORDER = ['postgres', 'redis', 'migrations', 'upstash', 'traces', 'metrics', 'api', 'site', 'dev user'];

/**
 * Brings up the local stack in dependency order and returns once every service answers. Used by
 * `npm run dev` (scripts/dev.ts) and by the stack tests, so both run exactly the same thing.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { host, ports, signal, say = () => {}, onServiceLine = () => {}, env = process.env } = options;
  const dataDir = resolve(REPO_ROOT, options.dataDir);
  const logs = logFiles(join(dataDir, 'logs'), onServiceLine);
  const targetFile = join(dataDir, 'stack.json');
  const status: ServiceStatus[] = [];
  const groups: number[] = [];
  const bound: number[] = [];
  // Undoes what was started, last first, on stop or on a failure half-way through start-up.
  const supervisor = createSupervisor(say);
  supervisor.defer('logs', () => logs.close());
  const http = (port: number) => `http://${host}:${port}`;
  // Every service process is watched from its start to stop(): the first to exit on its own is reported.
  let stopping = false;
  let reportDeath: (death: ServiceDeath) => void = () => {};
  const died = new Promise<ServiceDeath>((resolve) => {
    reportDeath = resolve;
  });
  let firstDeath: ServiceDeath | undefined;

  const stopAll = () => {
    stopping = true;
    removeTarget(targetFile);
    return supervisor.stopAll();
  };

  try {
    // A run killed without cleaning up (kill -9, a crash) may have left services holding the ports.
    const reaped = await reapStaleIn(join(dataDir, 'run'));
    if (reaped.length) say(`ended ${reaped.length} service(s) left running by an earlier run`);
    await checkPorts(options);

    // Postgres and Redis do not depend on each other: start both, and keep whichever came up.
    const [db, redis] = await settleAll([startDatabase(), startRedis()]);
    signal?.throwIfAborted();

    await ensureDatabase(withDatabase(db.url, 'postgres'), databaseName(db.url));
    const migrations = await migrateDatabase({
      ownerUrl: db.url,
      appPassword: options.appDatabasePassword,
      log: logs.sink('migrations'),
      // The embedded Postgres has no pgvector: vector work then reports itself unavailable (below).
      vector: 'optional',
    });
    const schema = await schemaStatus(db.url);
    status.push({ name: 'migrations', url: null, health: describeMigrations(migrations), ok: true });
    if (!schema.vector) {
      say(
        'pgvector: not available on this Postgres; the migrations skipped `CREATE EXTENSION vector` and what needs it, and /readyz reports vector: unavailable.',
      );
    }

    signal?.throwIfAborted();
    const upstash = redis ? await startEndpoint(redis.url) : null;
    const traces = await startTraces();
    const apiUrl = http(ports.api);
    const siteUrl = http(ports.site);
    const [api, site] = await settleAll([
      options.api ? startApi(db.url, upstash, traces.endpoint, siteUrl) : Promise.resolve(null),
      options.site ? startSite(apiUrl) : Promise.resolve(null),
    ]);
    if (api) status.push(await seedDevUser(api));

    const target: StackTarget = {
      kind: 'local',
      apiUrl,
      siteUrl: site ? siteUrl : null,
      databaseUrl: db.url,
      upstash,
      traces: traces.target,
      logs: { kind: 'file', path: logs.file('api') },
    };
    writeTarget(targetFile, target);
    return {
      status: status.sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name)),
      target,
      targetFile,
      processGroups: () => [...groups],
      listening: () => [...bound],
      died,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    // "api exited before it was ready" says little: the service's own last words say why, and its
    // log file has the rest.
    if (error instanceof ServiceFailed && error.tail.length) {
      throw new Error(`${error.reason}. Last lines of ${logs.file(error.service)}:\n${indent(error.tail)}`);
    }
    throw error;
  }

  async function startDatabase() {
    if (options.postgres !== 'local') {
      const url = options.postgres.url;
      await retry('postgres (DATABASE_URL)', () => ensureDatabase(withDatabase(url, 'postgres'), databaseName(url)), {
        timeoutMs: 5_000,
        signal,
      });
      status.push({ name: 'postgres', url: redact(url), health: 'up (DATABASE_URL)', ok: true });
      return { url };
    }
    say(`postgres: starting a local cluster in ${join(dataDir, 'postgres')}`);
    const pg = await startLocalPostgres({
      dataDir,
      host,
      port: ports.postgres,
      onLine: logs.sink('postgres'),
      signal,
    });
    if (pg.relocated) say(`postgres: ${pg.relocated}`);
    track(pg.process, ports.postgres);
    status.push({ name: 'postgres', url: redact(pg.url), health: `up (${pg.version}, embedded)`, ok: true });
    return { url: pg.url };
  }

  async function startRedis(): Promise<{ url: string } | null> {
    if (options.redis === 'off') {
      noRedis('turned off (--no-redis)');
      return null;
    }
    if (options.redis !== 'local') {
      const url = options.redis.url;
      const version = await serverVersion(url).catch(() => null);
      if (!version)
        say(loud(`REDIS_URL ${redact(url)} does not answer: cache and rate limits fail open until it does.`));
      status.push({ name: 'redis', url: redact(url), health: version ? `up (${version})` : 'down', ok: !!version });
      return { url };
    }
    if (!onPath('redis-server')) {
      noRedis('REDIS_URL is unset and redis-server is not on PATH');
      return null;
    }
    const local = await startLocalRedis({ dataDir, host, port: ports.redis, onLine: logs.sink('redis'), signal });
    track(local.process, ports.redis);
    status.push({ name: 'redis', url: local.url, health: `up (${local.version}, append-only file)`, ok: true });
    return { url: local.url };
  }

  function noRedis(why: string) {
    say(loud(`No Redis: ${why}.`, 'The API runs with its cache and rate limiting DISABLED.'));
    status.push({ name: 'redis', url: null, health: 'none: cache and rate limits disabled', ok: false });
  }

  async function startEndpoint(redisUrl: string) {
    const endpoint = await startUpstashEndpoint({
      port: ports.upstash,
      host,
      redisUrl,
      token: options.upstashToken,
      log: logs.sink('upstash'),
    });
    supervisor.defer('upstash', () => endpoint.close());
    bound.push(ports.upstash);
    status.push({ name: 'upstash', url: endpoint.url, health: 'up (Upstash REST protocol -> Redis)', ok: true });
    return { url: endpoint.url, token: endpoint.token };
  }

  async function startTraces(): Promise<{ endpoint: string; target: StackTarget['traces'] }> {
    if (options.traces !== 'local') {
      const endpoint = options.traces.endpoint;
      status.push({ name: 'traces', url: endpoint, health: 'exported to OTEL_EXPORTER_OTLP_ENDPOINT', ok: true });
      return { endpoint, target: { kind: 'none', reason: `spans go to ${endpoint}: check them there` } };
    }
    const receiver = await startOtlpReceiver({ port: ports.otlp, host });
    supervisor.defer('traces', () => receiver.close());
    bound.push(ports.otlp);
    status.push({ name: 'traces', url: `${receiver.url}/spans`, health: 'up (local OTLP/HTTP receiver)', ok: true });
    if (options.api) await startMetrics(`${receiver.url}/metrics`);
    return { endpoint: receiver.url, target: { kind: 'otlp-receiver', url: receiver.url } };
  }

  /** The receiver's scrape endpoint always; Prometheus (UI, rules, alerts) over it when installed. */
  async function startMetrics(scrapeUrl: string) {
    if (ports.prometheus === undefined || !onPath('prometheus')) {
      const hint = ports.prometheus === undefined ? '' : "; install Debian's `prometheus` for its UI and alerts";
      status.push({ name: 'metrics', url: scrapeUrl, health: `Prometheus scrape target${hint}`, ok: true });
      return;
    }
    const prometheus = await startLocalPrometheus({
      dataDir,
      host,
      port: ports.prometheus,
      scrapeUrl,
      onLine: logs.sink('prometheus'),
      signal,
    });
    track(prometheus.process, ports.prometheus);
    status.push({
      name: 'metrics',
      url: prometheus.url,
      health: `Prometheus (alerts: ${prometheus.url}/alerts) scraping ${scrapeUrl}`,
      ok: true,
    });
  }

  async function startApi(
    ownerUrl: string,
    upstash: { url: string; token: string } | null,
    otlp: string,
    siteUrl: string,
  ) {
    const vars: Record<string, string> = {
      ENVIRONMENT: 'development',
      DEV_AUTH_BYPASS: 'true',
      CORS_ORIGINS: `${siteUrl},http://localhost:${ports.site}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
      ...(options.webhookSecret && { CLERK_WEBHOOK_SECRET: options.webhookSecret }),
      ...(upstash && { UPSTASH_REDIS_REST_URL: upstash.url, UPSTASH_REDIS_REST_TOKEN: upstash.token }),
    };
    const url = http(ports.api);
    const {
      ready: { ms },
    } = await startService(
      {
        name: 'api',
        ...wranglerDev({
          host,
          port: ports.api,
          inspectorPort: ports.inspector,
          persistTo: join(dataDir, 'wrangler'),
          vars,
          databaseUrl: appUrl(ownerUrl, options.appDatabasePassword),
          env,
        }),
        pidFile: join(dataDir, 'run', 'api.pid'),
        onLine: logs.sink('api'),
        ready: () => httpGet(`${url}/healthz`),
        timeoutMs: API_READY_MS,
        signal,
      },
      (proc) => track(proc, ports.api, ports.inspector),
    );
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) })
      .then(async (r) => ({ ok: r.ok, body: (await r.json()) as { features?: { vector?: string } } }))
      .catch(() => ({ ok: false, body: {} as { features?: { vector?: string } } }));
    status.push({
      name: 'api',
      url,
      health: `/healthz 200 in ${Math.round(ms)} ms, /readyz ${ready.ok ? 'ready' : 'NOT ready'}, vector: ${ready.body.features?.vector ?? '?'}`,
      ok: ready.ok,
    });
    return url;
  }

  async function startSite(apiUrl: string) {
    const url = http(ports.site);
    const {
      ready: { ms },
    } = await startService(
      {
        name: 'site',
        command: process.execPath,
        args: [packageBin('astro'), 'dev', '--host', host, '--port', String(ports.site)],
        cwd: REPO_ROOT,
        env: { ...env, PUBLIC_API_URL: apiUrl, ASTRO_TELEMETRY_DISABLED: '1' },
        pidFile: join(dataDir, 'run', 'site.pid'),
        onLine: logs.sink('site'),
        ready: () => httpGet(`${url}/`),
        timeoutMs: SITE_READY_MS,
        signal,
      },
      (proc) => track(proc, ports.site),
    );
    status.push({ name: 'site', url, health: `GET / 200 in ${Math.round(ms)} ms`, ok: true });
    return url;
  }

  /** The dev user and org are provisioned by the API itself on first sight: the same code path as production. */
  async function seedDevUser(apiUrl: string): Promise<ServiceStatus> {
    const name = 'dev user';
    const response = await fetch(`${apiUrl}/v1/me`, {
      headers: { 'X-Dev-User': options.devUserId },
      signal: AbortSignal.timeout(10_000),
    }).catch((error: Error) => error);
    if (response instanceof Error)
      return { name, url: null, health: `not provisioned: ${response.message}`, ok: false };
    if (response.status === 404) {
      await response.body?.cancel();
      return { name, url: null, health: 'skipped: the API has no /v1/me yet', ok: true };
    }
    const body = (await response.json().catch(() => ({}))) as { tenant?: { id?: string } };
    return response.ok
      ? { name, url: null, health: `${options.devUserId} provisioned in tenant ${body.tenant?.id ?? '?'}`, ok: true }
      : { name, url: null, health: `not provisioned: GET /v1/me -> ${response.status}`, ok: false };
  }

  function track(proc: ServiceProcess, ...servicePorts: number[]) {
    proc.exited
      .then(({ code, signal }) => {
        if (stopping || firstDeath) return;
        firstDeath = {
          name: proc.name,
          exit: signal ? `killed by ${signal}` : `exit code ${code}`,
          logFile: logs.file(proc.name),
          tail: proc.tail(),
        };
        reportDeath(firstDeath);
      })
      .catch(() => {});
    supervisor.defer(proc.name, () => proc.stop());
    groups.push(proc.pid);
    bound.push(...servicePorts);
  }
}

/** Every port this configuration would listen on must be free before anything starts. */
async function checkPorts({ host, ports, postgres, redis, traces, api, site }: StackOptions) {
  const wanted: [number, string][] = [];
  if (postgres === 'local') wanted.push([ports.postgres, 'DEV_POSTGRES_PORT']);
  if (redis === 'local') wanted.push([ports.redis, 'DEV_REDIS_PORT']);
  if (redis !== 'off') wanted.push([ports.upstash, 'UPSTASH_ENDPOINT_PORT']);
  if (traces === 'local') wanted.push([ports.otlp, 'DEV_OTLP_PORT']);
  if (traces === 'local' && api && ports.prometheus !== undefined && onPath('prometheus')) {
    wanted.push([ports.prometheus, 'DEV_PROMETHEUS_PORT']);
  }
  if (api) wanted.push([ports.api, 'DEV_API_PORT'], [ports.inspector, 'DEV_INSPECTOR_PORT']);
  if (site) wanted.push([ports.site, 'DEV_SITE_PORT']);
  await Promise.all(wanted.map(([port, setting]) => assertPortFree(host, port, setting)));
}

async function schemaStatus(ownerUrl: string) {
  const sql = postgres(ownerUrl, { max: 1, fetch_types: false, onnotice: () => {} });
  try {
    const [row] = await sql<{ vector: boolean }[]>`
      select exists (select 1 from pg_extension where extname = 'vector') as vector`;
    return row ?? { vector: false };
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function loud(...lines: string[]): string {
  const bar = '!'.repeat(78);
  return [bar, ...lines.map((l) => `!! ${l}`), bar].join('\n');
}
