import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageBin, REPO_ROOT } from '../../../scripts/dev/paths';
import { type ServiceProcess, spawnService, untilReady } from '../../../scripts/dev/process';
import { httpGet, retry } from '../../../scripts/dev/wait';

/** This suite's ports (the site helper's range), so it can run beside other stacks on the machine. */
export const PORTS = { site: 18300, api: 18301, inspector: 18302 } as const;
const HOST = '127.0.0.1';
const SITE_OUT_DIR = 'dist/e2e-site';

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
 * for that API and served by `astro preview`. Output of both goes to `log` for when a test fails.
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
    const { PUBLIC_CLERK_PUBLISHABLE_KEY: _clerk, ...env } = process.env;
    await promisify(execFile)(process.execPath, [packageBin('astro'), 'build', '--outDir', SITE_OUT_DIR], {
      cwd: REPO_ROOT,
      // No Clerk key: the dashboard signs in through the API's development bypass.
      // NODE_ENV: vitest sets "test", which would bundle React's development build.
      env: { ...env, NODE_ENV: 'production', PUBLIC_API_URL: apiUrl, SITE_URL: siteUrl, ASTRO_TELEMETRY_DISABLED: '1' },
    }).catch(failWithLogs);

    const api = await spawnService({
      name: 'api',
      command: process.execPath,
      args: [
        packageBin('wrangler'),
        'dev',
        '--local',
        '--ip',
        HOST,
        '--port',
        String(PORTS.api),
        '--inspector-port',
        String(PORTS.inspector),
        '--persist-to',
        join(work, 'wrangler'),
        '--show-interactive-dev-session=false',
        ...Object.entries({
          ENVIRONMENT: 'development',
          DEV_AUTH_BYPASS: 'true',
          DEV_USER_ID: devUserId,
          DEV_ORG_ID: devOrgId,
          CORS_ORIGINS: siteUrl,
          UPSTASH_REDIS_REST_URL: upstash.url,
          UPSTASH_REDIS_REST_TOKEN: upstash.token,
        }).flatMap(([key, value]) => ['--var', `${key}:${value}`]),
      ],
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: appDatabaseUrl,
      },
      pidFile: join(work, 'api.pid'),
      onLine: sink('api'),
    });
    started.push(api);

    const site = await spawnService({
      name: 'site',
      command: process.execPath,
      args: [
        packageBin('astro'),
        'preview',
        '--host',
        HOST,
        '--port',
        String(PORTS.site),
        '--outDir',
        SITE_OUT_DIR,
        '--ignore-lock',
      ],
      cwd: REPO_ROOT,
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
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
