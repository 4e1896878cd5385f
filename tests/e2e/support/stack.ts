import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { wranglerDev } from '../../../scripts/dev/commands';
import { packageBin } from '../../../scripts/dev/paths';
import { type ServiceProcess, spawnService, untilReady } from '../../../scripts/dev/process';
import { httpGet, retry } from '../../../scripts/dev/wait';
import { buildSite } from './build-site';

/** This suite's ports, from E2E_PORT_BASE (default 18300) on, so it can run beside other stacks on the machine. */
const base = z.coerce.number().int().min(1024).max(65_000).default(18300).parse(process.env.E2E_PORT_BASE);
export const PORTS = { site: base, api: base + 1, apiInspector: base + 2, siteInspector: base + 3 } as const;
const HOST = '127.0.0.1';

export type StackOptions = {
  /** The Worker's connection (the non-owner app role) to a migrated database. */
  appDatabaseUrl: string;
  upstash: { url: string; token: string };
  devUserId: string;
  devOrgId: string;
};

export interface E2eStack {
  siteUrl: string;
  apiUrl: string;
  /** Stops the API alone, to see how the site copes with it gone. */
  stopApi(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real thing end to end: `wrangler dev` (workerd) against Postgres and Redis, and the site built
 * for that API and served as Cloudflare serves it in production, by `wrangler pages dev` (the build's
 * `_headers` applied, `/dashboard` redirected to `/dashboard/`). Output of both goes to `log` for when a test fails.
 */
export async function startStack({ appDatabaseUrl, upstash, devUserId, devOrgId }: StackOptions): Promise<E2eStack> {
  const apiUrl = `http://${HOST}:${PORTS.api}`;
  const siteUrl = `http://${HOST}:${PORTS.site}`;
  const work = mkdtempSync(join(tmpdir(), 'meatymusic-e2e-'));
  const lines: string[] = [];
  const sink = (name: string) => (line: string) => lines.push(`[${name}] ${line}`);
  const started: ServiceProcess[] = [];
  const failWithLogs = (error: unknown): never => {
    throw new Error(`${error instanceof Error ? error.message : error}\n${lines.slice(-40).join('\n')}`);
  };

  const stop = async () => {
    await Promise.all(started.map((p) => p.stop()));
    rmSync(work, { recursive: true, force: true });
  };

  try {
    // No Clerk key: the dashboard signs in through the API's development bypass.
    // Outside the repo: `wrangler pages dev` looks for a wrangler.toml above the folder it serves, and
    // the repo's is the API Worker's (its [assets] would be served instead of the site).
    const siteDir = join(work, 'site');
    await buildSite({ outDir: siteDir, apiUrl, siteUrl }).catch(failWithLogs);

    const api = await spawnService({
      name: 'api',
      ...wranglerDev({
        host: HOST,
        port: PORTS.api,
        inspectorPort: PORTS.apiInspector,
        persistTo: join(work, 'wrangler'),
        vars: {
          ENVIRONMENT: 'development',
          DEV_AUTH_BYPASS: 'true',
          DEV_USER_ID: devUserId,
          DEV_ORG_ID: devOrgId,
          CORS_ORIGINS: siteUrl,
          UPSTASH_REDIS_REST_URL: upstash.url,
          UPSTASH_REDIS_REST_TOKEN: upstash.token,
        },
        databaseUrl: appDatabaseUrl,
      }),
      pidFile: join(work, 'api.pid'),
      onLine: sink('api'),
    });
    started.push(api);

    const site = await spawnService({
      name: 'site',
      command: process.execPath,
      args: [
        packageBin('wrangler'),
        'pages',
        'dev',
        siteDir,
        '--ip',
        HOST,
        '--port',
        String(PORTS.site),
        '--inspector-port',
        String(PORTS.siteInspector),
        '--persist-to',
        join(work, 'pages'),
        '--show-interactive-dev-session=false',
      ],
      cwd: work,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
      pidFile: join(work, 'site.pid'),
      onLine: sink('site'),
    });
    started.push(site);

    await Promise.all([
      untilReady(
        api,
        retry('api', () => httpGet(`${apiUrl}/healthz`), { timeoutMs: 60_000 }),
      ),
      untilReady(
        site,
        retry('site', () => httpGet(`${siteUrl}/`), { timeoutMs: 30_000 }),
      ),
    ]).catch(failWithLogs);
  } catch (error) {
    await stop();
    throw error;
  }

  return { siteUrl, apiUrl, stopApi: () => started[0]!.stop(), stop };
}
