import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/dev/paths';
import { DEPLOYED_SECRETS } from '../../worker/config';
import { shellEnv } from './support';

type Run = { code: number | null; out: string };

/** `npm run deploy:check -- <args>` as a developer or a workflow runs it. */
function deployCheck(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const base = shellEnv();
    delete base.CLOUDFLARE_API_TOKEN;
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/deploy-check.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...base, WRANGLER_SEND_METRICS: 'false', ...env },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'deploy-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PRODUCTION_ID = '3f1a9c0e5b7d4e2a8c6f1b3d5e7a9c0f';
const STAGING_ID = '8b2e4d6f0a1c3e5b7d9f1a2c4e6b8d0a';

/** The repository's wrangler.toml with real-looking ids, as a user has it after docs/deploy.md. */
function completeConfig(edit: (toml: string) => string = (t) => t): string {
  let toml = readFileSync(join(REPO_ROOT, 'wrangler.toml'), 'utf8')
    .replace('main = "worker/index.ts"', `main = "${join(REPO_ROOT, 'worker/index.ts')}"`)
    .replace(/(\[\[env\.staging\.hyperdrive\]\][^[]*?id = )"0+"/, `$1"${STAGING_ID}"`)
    .replace(/(\[\[env\.production\.hyperdrive\]\][^[]*?id = )"0+"/, `$1"${PRODUCTION_ID}"`);
  toml = edit(toml);
  const path = join(dir, `wrangler-${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(path, toml);
  return path;
}

describe('npm run deploy:check', () => {
  it("fails on the repository's placeholder Hyperdrive id, naming it", async () => {
    const { code, out } = await deployCheck(['--env', 'production']);
    expect(code).toBe(1);
    expect(out).toMatch(/✗ Hyperdrive ids[^\n]*\n\s+HYPERDRIVE id "0{32}" is a placeholder/);
    expect(out).toContain('do not deploy');
  });

  it('passes a complete configuration, bundle build included', async () => {
    for (const env of ['production', 'staging']) {
      const { code, out } = await deployCheck(['--env', env, '--config', completeConfig()]);
      expect(out).toContain(`✓ the bundle builds with --env ${env}`);
      expect(out).toContain('skipped: no CLOUDFLARE_API_TOKEN');
      expect(out).toContain('ready to deploy');
      expect(code).toBe(0);
    }
  });

  it('refuses a deploy that names no environment, or one that is not deployed', async () => {
    expect(await deployCheck([])).toMatchObject({ code: 2, out: expect.stringMatching(/name the environment/) });
    const dev = await deployCheck(['--env', 'development']);
    expect(dev).toMatchObject({ code: 2, out: expect.stringMatching(/unknown environment "development"/) });
  });

  it('names http origins, a missing secret name, the local id and an id shared with the other environment', async () => {
    const config = completeConfig((toml) =>
      toml
        .replace(`"${STAGING_ID}"`, `"${PRODUCTION_ID}"`)
        .replace(/(\[env\.staging\.secrets\]\nrequired = \[)"CLERK_JWT_KEY", /, '$1'),
    );
    const { code, out } = await deployCheck([
      '--env',
      'staging',
      '--config',
      config,
      '--var',
      'CORS_ORIGINS:http://preview.example',
      '--var',
      'REDIS_KEY_PREFIX:production',
    ]);
    expect(code).toBe(1);
    expect(out).toContain(`HYPERDRIVE id "${PRODUCTION_ID}" is also production's`);
    expect(out).toContain('required lacks: CLERK_JWT_KEY');
    expect(out).toContain('CORS_ORIGINS: only https origins in staging, not http://preview.example');
    expect(out).toContain('REDIS_KEY_PREFIX: must be "staging" or start with "staging:"');

    const local = completeConfig((toml) => toml.replace(`"${PRODUCTION_ID}"`, '"6d9e2f1c8a4b4e0f9c3d7a5b1e2f4a6c"'));
    const second = await deployCheck(['--env', 'production', '--config', local]);
    expect(second.out).toContain('is the local development id');
  });

  it('with a Cloudflare token, compares the required secrets with `wrangler secret list`', async () => {
    // Cloudflare's API is the one part that cannot run here: a stand-in answers the one call wrangler makes.
    const asked: string[] = [];
    const api = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      const result = [
        { name: 'CLERK_JWT_KEY', type: 'secret_text' },
        { name: 'UPSTASH_REDIS_REST_URL', type: 'secret_text' },
      ];
      res.end(JSON.stringify({ success: true, errors: [], messages: [], result }));
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    try {
      const { port } = api.address() as AddressInfo;
      const { code, out } = await deployCheck(['--env', 'production', '--config', completeConfig()], {
        CLOUDFLARE_API_TOKEN: 'test-token',
        CLOUDFLARE_ACCOUNT_ID: '0123456789abcdef0123456789abcdef',
        CLOUDFLARE_API_BASE_URL: `http://127.0.0.1:${port}/client/v4`,
      });
      expect(asked).toContain(
        'GET /client/v4/accounts/0123456789abcdef0123456789abcdef/workers/scripts/meatymusic-api-production/secrets',
      );
      const missing = DEPLOYED_SECRETS.filter((n) => n !== 'CLERK_JWT_KEY' && n !== 'UPSTASH_REDIS_REST_URL');
      expect(out).toContain(`not set on meatymusic-api-production: ${missing.join(', ')}`);
      expect(code).toBe(1);
    } finally {
      await new Promise((r) => api.close(r));
    }
  });
});
