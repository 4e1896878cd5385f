import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
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

afterAll(async () => {
  await stack?.stop();
  rmSync(options.dataDir, { recursive: true, force: true });
});

describe('the local stack (npm run dev)', () => {
  it('brings up every service, passes npm run verify, and leaves no process or port behind', async () => {
    stack = await startStack({ ...options, say: (line) => said.push(line) });

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
