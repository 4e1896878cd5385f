import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from '@upstash/redis';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/dev/paths';
import { onPath } from '../../scripts/dev/redis';
import { type Stack, startStack } from '../../scripts/dev/stack';
import { localEnv } from '../../scripts/local-env';
import { portsFrom, shellEnv, stackOptions, stopAndAssertNothingLeft } from './support';

const run = promisify(execFile);
const ports = portsFrom(18400);
// Redis from PATH as on a developer's machine; where there is none (a CI runner), the REDIS_URL one.
const redis = onPath('redis-server') ? ('local' as const) : { url: localEnv().REDIS_URL };
const options = stackOptions({ ports, redis });
const said: string[] = [];
let stack: Stack | undefined;

/** The shell block of README's API section: the variables line, each curl, the webhook command. */
function readmeApiExamples() {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## API'));
  const block = section.slice(section.indexOf('```sh\n') + 6, section.indexOf('\n```', section.indexOf('```sh\n')));
  const lines = block.split('\n');
  return {
    prelude: lines.find((l) => l.startsWith('API='))!,
    curls: lines.filter((l) => l.startsWith('curl ')),
    webhook: lines.find((l) => l.startsWith('npm run webhook:send'))!,
  };
}

afterAll(async () => {
  await stack?.stop();
  rmSync(options.dataDir, { recursive: true, force: true });
});

describe('the local stack (npm run dev)', () => {
  it('brings up every service, passes npm run verify, and leaves no process or port behind', async () => {
    const output: string[] = [];
    stack = await startStack({
      ...options,
      say: (line) => said.push(line),
      onServiceLine: (service, line) => output.push(`[${service}] ${line}`),
    });
    // Offline, wrangler used to fetch request.cf's data and print the failure; Astro warned about Shiki.
    expect(output.filter((l) => /ENOTFOUND|workers\.cloudflare\.com|Shiki/.test(l))).toEqual([]);

    const names = stack.status.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining(['postgres', 'migrations', 'redis', 'upstash', 'traces', 'api', 'site']),
    );
    expect(stack.status.filter((s) => !s.ok)).toEqual([]);
    // The embedded Postgres has no pgvector, and says so instead of failing.
    expect(said.join('\n')).toMatch(/pgvector: not available/);
    expect(existsSync(stack.targetFile)).toBe(true);

    const verify = await run('npm', ['run', 'verify', '--', '--stack-file', stack.targetFile], {
      cwd: REPO_ROOT,
      env: shellEnv(),
    }).catch((error: { stdout: string; stderr: string }) => error);
    expect(verify.stdout, verify.stderr).toMatch(/8\/8 criteria met/);
    expect(verify.stdout.match(/ PASS /g)).toHaveLength(8);

    // The README's example for each /v1 route, as written, against this stack.
    const examples = readmeApiExamples();
    expect(examples.curls.length).toBeGreaterThanOrEqual(8);
    const prelude = examples.prelude.replace('http://127.0.0.1:8787', stack.target.apiUrl);
    for (const line of examples.curls) {
      const { stdout } = await run('sh', ['-c', `${prelude}\n${line} -o /dev/null -w '%{http_code}'`]);
      expect([line, stdout]).toEqual([line, '200']);
    }
    const sent = await run('sh', ['-c', `${examples.webhook} --api ${stack.target.apiUrl}`], {
      cwd: REPO_ROOT,
      env: { ...shellEnv(), CLERK_WEBHOOK_SECRET: options.webhookSecret },
    });
    expect(sent.stdout).toMatch(/user\.created -> 200 \{"received":true,"handled":true,"outcome":"applied"\}/);

    // Something to find again after a restart.
    await new Redis({ ...stack.target.upstash!, enableTelemetry: false }).set('stack-test:persisted', 'still here');

    await stopAndAssertNothingLeft(stack);
    expect(existsSync(stack.targetFile)).toBe(false);
    stack = undefined;
  });

  it('keeps Postgres and Redis data in the data folder across restarts', async () => {
    stack = await startStack({ ...options, api: false, site: false });
    const sql = postgres(stack.target.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      // Provisioned by the API's first dev-bypass request in the previous run.
      const tenants = await sql<{ n: number }[]>`select count(*)::int as n from tenants`;
      expect(tenants[0]?.n).toBeGreaterThan(0);
    } finally {
      await sql.end();
    }
    const cache = new Redis({ ...stack.target.upstash!, enableTelemetry: false });
    expect(await cache.get('stack-test:persisted')).toBe('still here');
    await cache.del('stack-test:persisted');
    await stopAndAssertNothingLeft(stack);
    stack = undefined;
  });
});
