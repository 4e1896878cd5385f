import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageBin, REPO_ROOT } from '../../scripts/dev/paths';
import { shellEnv } from './support';

const run = promisify(execFile);

/** A port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `vitest run --project <name> <file>` with Postgres unreachable and no redis-server on PATH (only this
 * Node's folder is), as on a machine with neither.
 */
async function withoutServices(project: string, file: string) {
  const env = {
    ...shellEnv(),
    DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/nowhere`,
    PATH: dirname(process.execPath),
  };
  return run(process.execPath, [packageBin('vitest'), 'run', '--project', project, file], { cwd: REPO_ROOT, env }).then(
    (ok) => ({ code: 0, output: stripVTControlCharacters(ok.stdout + ok.stderr) }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: stripVTControlCharacters(error.stdout + error.stderr),
    }),
  );
}

describe('the global setup (tests/setup/by-project.ts)', () => {
  it('start no Postgres or Redis work for the site tests', async () => {
    const site = await withoutServices('site', 'tests/site/skeleton-widths.test.ts');
    expect(site.output).toMatch(/Test Files\s+1 passed/);
    expect(site.code).toBe(0);

    // The same environment does stop a project that needs Postgres, at its global setup.
    const db = await withoutServices('db', 'tests/db/inline-params.test.ts');
    expect(db.code).not.toBe(0);
    expect(db.output).toMatch(/Postgres \(DATABASE_URL=\S+\) is not usable/);
  });
});
