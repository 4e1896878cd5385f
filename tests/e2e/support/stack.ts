import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { wranglerDev } from '../../../scripts/dev/commands';
import { packageBin } from '../../../scripts/dev/paths';
import { createSupervisor, settleAll } from '../../../scripts/dev/process';
import { httpGet } from '../../../scripts/dev/wait';
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
 * `_headers` applied, `/dashboard` redirected to `/dashboard/`). A service that does not come up fails
 * the start with its last lines of output.
 */
export async function startStack({ appDatabaseUrl, upstash, devUserId, devOrgId }: StackOptions): Promise<E2eStack> {
  const apiUrl = `http://${HOST}:${PORTS.api}`;
  const siteUrl = `http://${HOST}:${PORTS.site}`;
  const work = mkdtempSync(join(tmpdir(), 'meatymusic-e2e-'));
  const supervisor = createSupervisor();
  supervisor.defer('work folder', async () => rmSync(work, { recursive: true, force: true }));

  try {
    // No Clerk key: the dashboard signs in through the API's development bypass.
    // Outside the repo: `wrangler pages dev` looks for a wrangler.toml above the folder it serves, and
    // the repo's is the API Worker's (its [assets] would be served instead of the site).
    const siteDir = join(work, 'site');
    await buildSite({ outDir: siteDir, apiUrl, siteUrl });

    const [api] = await settleAll([
      supervisor.start({
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
        ready: () => httpGet(`${apiUrl}/healthz`),
        timeoutMs: 60_000,
      }),
      supervisor.start({
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
        ready: () => httpGet(`${siteUrl}/`),
        timeoutMs: 30_000,
      }),
    ]);
    return { siteUrl, apiUrl, stopApi: () => api.service.stop(), stop: () => supervisor.stopAll() };
  } catch (error) {
    await supervisor.stopAll();
    throw error;
  }
}
