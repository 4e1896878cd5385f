import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/dev/paths';
import { type Stack, startStack } from '../../scripts/dev/stack';
import { dropDatabase, testDatabase } from '../setup/global';
import { portsFrom, shellEnv, stackOptions, stopAndAssertNothingLeft } from './support';

const run = promisify(execFile);

// A database of its own on the server DATABASE_URL names (the stack creates and migrates it), so its dev
// user does not race the worker project's in the shared test database.
const database = testDatabase('_stack');
const options = stackOptions({
  ports: portsFrom(18420),
  postgres: { url: database.ownerUrl },
  redis: 'off',
  site: false,
});
let stack: Stack | undefined;

afterAll(async () => {
  await stack?.stop();
  rmSync(options.dataDir, { recursive: true, force: true });
  await dropDatabase(database.name);
});

describe('the local stack with DATABASE_URL and without Redis', () => {
  it('says loudly that cache and rate limits are off, and the API still serves signed-in requests', async () => {
    const said: string[] = [];
    stack = await startStack({ ...options, say: (line) => said.push(line) });

    expect(said.join('\n')).toMatch(/!! No Redis: .*\n!! The API runs with its cache and rate limiting DISABLED\./);
    expect(stack.status.find((s) => s.name === 'redis')).toMatchObject({ ok: false, url: null });
    expect(stack.status.find((s) => s.name === 'postgres')?.health).toBe('up (DATABASE_URL)');
    expect(stack.target.upstash).toBeNull();

    // The dev user was provisioned at start-up through the API itself, and is served without Redis.
    expect(stack.status.find((s) => s.name === 'dev user')).toMatchObject({ ok: true });
    const me = await fetch(`${stack.target.apiUrl}/v1/me`, { headers: { 'X-Dev-User': 'user_dev' } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { clerk_user_id: 'user_dev' } });

    // npm run verify fails (exit 1) on exactly what is missing, and passes the rest.
    const verify = await run('npm', ['run', 'verify', '--', '--stack-file', stack.targetFile], {
      cwd: REPO_ROOT,
      env: shellEnv(),
    }).then(
      (ok) => ({ code: 0, stdout: ok.stdout }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/Redis set\/get round trip\s+FAIL\s+the stack runs without Redis/);
    expect(verify.stdout).toMatch(/site builds and serves\s+FAIL\s+the stack runs no site/);
    expect(verify.stdout).toMatch(/6\/8 criteria met/);

    await stopAndAssertNothingLeft(stack);
    stack = undefined;
  });
});
