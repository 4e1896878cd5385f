import { spawnSync } from 'node:child_process';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { unstable_readConfig } from 'wrangler';
import { packageBin, REPO_ROOT } from '../../scripts/dev/paths';
import { DEPLOYED_SECRETS } from '../../worker/config';
import { DEPLOYED_SITE } from '../support/deployed-vars';
import { startTcpProxy } from '../support/tcp-proxy';
import { caller, clerkId } from '../support/tokens';
import { refusedWranglerEnv, startWranglerEnv, type WranglerEnv } from './support/wrangler-env';

type ErrorBody = { error: { code: string; message: string; request_id: string; stack?: string } };

/** Stand-ins for the production services: the test's Clerk key pair, the local Upstash endpoint. */
const secrets = () => ({
  CLERK_JWT_KEY: inject('clerkPublicPem'),
  CLERK_WEBHOOK_SECRET: inject('clerkWebhookSecret'),
  UPSTASH_REDIS_REST_URL: inject('upstashUrl'),
  UPSTASH_REDIS_REST_TOKEN: inject('upstashToken'),
});

describe.each(['production', 'staging'] as const)('the Worker as `wrangler dev --env %s` serves it', (environment) => {
  const vars = unstable_readConfig({ config: `${REPO_ROOT}/wrangler.toml`, env: environment }).vars as Record<
    string,
    string
  >;
  const site = vars.CORS_ORIGINS?.split(',')[0] as string;
  let api: WranglerEnv;
  let database: Awaited<ReturnType<typeof startTcpProxy>>;

  beforeAll(async () => {
    // Between the Worker and Postgres, so the database can go away and come back during the test.
    const app = new URL(inject('appDatabaseUrl'));
    database = await startTcpProxy({ host: app.hostname, port: Number(app.port || 5432) });
    app.port = String(database.port);
    api = await startWranglerEnv({ environment, secrets: secrets(), databaseUrl: app.toString() });
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
    await database?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${api.url}${path}`, { headers });

  it('is ready: database and Redis up', async () => {
    const res = await get('/readyz');
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ checks: { database: { status: 'up' }, redis: { status: 'up' } } });
  });

  it("allows its own site's origin (from wrangler.toml) and no other", async () => {
    expect(site).toMatch(/^https:\/\//);
    const preflight = (origin: string) =>
      fetch(`${api.url}/v1/me`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' },
      });
    expect((await preflight(site)).headers.get('Access-Control-Allow-Origin')).toBe(site);
    for (const other of ['http://localhost:4321', 'http://127.0.0.1:4321', 'https://evil.example']) {
      expect((await preflight(other)).headers.get('Access-Control-Allow-Origin')).toBeNull();
    }
  });

  it('accepts a session token issued for its site and refuses one for any other party', async () => {
    const org = { id: clerkId('org') };
    const ours = await get('/v1/me', await caller({ org, azp: vars.CLERK_AUTHORIZED_PARTIES }).headers());
    expect(ours.status).toBe(200);
    const local = await get('/v1/me', await caller({ org, azp: 'http://localhost:4321' }).headers());
    expect(local.status).toBe(401);
    const none = await get('/v1/me', await caller({ org, azp: null }).headers());
    expect(none.status).toBe(401);
  });

  it('has no development sign-in: X-Dev-User alone is a 401', async () => {
    const res = await get('/v1/me', { 'X-Dev-User': 'user_dev' });
    expect(res.status).toBe(401);
    expect((await res.json<ErrorBody>()).error.request_id).toBeTruthy();
  });

  it('answers a failure without a stack trace: database down is a 503 with a reason, and it recovers', async () => {
    const who = caller({ org: { id: clerkId('org') }, azp: vars.CLERK_AUTHORIZED_PARTIES });
    await database.down();
    try {
      const res = await get('/v1/me', await who.headers());
      const text = await res.text();
      expect(res.status, text).toBe(503);
      const body = JSON.parse(text) as ErrorBody;
      expect(body.error.code).toMatch(/unavailable/);
      expect(body.error.stack).toBeUndefined();
      expect(text).not.toMatch(/\bat \S+ \(|\.ts:\d+|index\.js:\d+/);
      expect((await get('/readyz')).status).toBe(503);
    } finally {
      await database.up();
    }
    expect((await get('/v1/me', await who.headers())).status).toBe(200);
  });
});

describe('a preview: the staging Worker with the vars its upload adds', () => {
  // What .github/workflows/preview.yml passes to `wrangler versions upload --env staging` for branch "feature-x".
  const alias = `feature-x-${Date.now().toString(36)}`;
  const origin = `https://${alias}.meatymusic-web.pages.dev`;
  const prefix = `staging:preview-${alias}`;
  let api: WranglerEnv;

  beforeAll(async () => {
    api = await startWranglerEnv({
      environment: 'staging',
      secrets: secrets(),
      vars: { CORS_ORIGINS: origin, CLERK_AUTHORIZED_PARTIES: origin, REDIS_KEY_PREFIX: prefix },
      databaseUrl: inject('appDatabaseUrl'),
    });
  }, 120_000);
  afterAll(() => api?.stop());

  it("serves the preview site's origin and its sign-ins, writing only under the preview's Redis prefix", async () => {
    const preflight = await fetch(`${api.url}/v1/me`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe(origin);

    const who = caller({ org: { id: clerkId('org') }, azp: origin });
    const res = await fetch(`${api.url}/v1/me`, { headers: await who.headers() });
    expect(res.status).toBe(200);
    const { tenant } = await res.json<{ tenant: { id: string } }>();

    const redis = new Redis({ url: inject('upstashUrl'), token: inject('upstashToken'), enableTelemetry: false });
    const keys = (await redis.keys('*')).filter((k) => k.includes(tenant.id) || k.includes(who.sub));
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) expect(key.startsWith(`${prefix}:`), key).toBe(true);
  });
});

describe('refusals', () => {
  const databaseUrl = () => inject('appDatabaseUrl');
  let running: WranglerEnv | undefined;
  afterAll(() => running?.stop());

  it('--env production without its secrets refuses to start, naming each one', async () => {
    running = await refusedWranglerEnv(
      { environment: 'production', secrets: {}, databaseUrl: databaseUrl() },
      /Invalid Worker configuration: .*missing required secrets/,
    );
    expect(running.output()).toContain(`missing required secrets: ${DEPLOYED_SECRETS.join(', ')}`);
    await expect(fetch(`${running.url}/healthz`).then((r) => r.status)).rejects.toThrow();
    await running.stop();
    running = undefined;
  });

  it('no --env is production, not development: without origins and secrets it refuses to start', async () => {
    running = await refusedWranglerEnv(
      { secrets: {}, databaseUrl: databaseUrl() },
      /Invalid Worker configuration: .*CLERK_AUTHORIZED_PARTIES/,
    );
    const out = running.output();
    expect(out).toContain('env.ENVIRONMENT ("production")');
    expect(out).toContain('CORS_ORIGINS: required in production');
    expect(out).toContain('CLERK_AUTHORIZED_PARTIES: required in production');
    expect(out).toContain(`missing required secrets: ${DEPLOYED_SECRETS.join(', ')}`);
    await running.stop();
    running = undefined;
  });

  it('no --env with every secret still serves no development behaviour', async () => {
    // The vars a deploy would add (origins, prefix), but not ENVIRONMENT: that stays the top level's.
    running = await startWranglerEnv({
      secrets: {
        ...secrets(),
        CORS_ORIGINS: DEPLOYED_SITE,
        CLERK_AUTHORIZED_PARTIES: DEPLOYED_SITE,
        REDIS_KEY_PREFIX: 'production',
      },
      databaseUrl: databaseUrl(),
    });
    const dev = await fetch(`${running.url}/v1/me`, { headers: { 'X-Dev-User': 'user_dev' } });
    expect(dev.status).toBe(401);
    const meta = await (await fetch(`${running.url}/`)).json<{ environment: string }>();
    expect(meta.environment).toBe('production');
    await running.stop();
    running = undefined;
  });

  it('`wrangler deploy --dry-run` without --env bundles production vars and nothing of development', () => {
    const run = spawnSync(process.execPath, [packageBin('wrangler'), 'deploy', '--dry-run'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('env.ENVIRONMENT ("production")');
    expect(run.stdout).not.toMatch(/development|DEV_AUTH_BYPASS|localhost/);
  });
});
