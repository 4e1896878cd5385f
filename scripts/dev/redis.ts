import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { createClient } from 'redis';
import { type ServiceProcess, startService } from './process';

export type LocalRedisOptions = {
  /** Holds `redis/` (the append-only file) and the pid file; kept across runs. */
  dataDir: string;
  host: string;
  port: number;
  onLine?: (line: string) => void;
  /** Aborting gives up waiting for readiness (and stops the server). */
  signal?: AbortSignal;
};

export interface LocalRedis {
  url: string;
  version: string;
  process: ServiceProcess;
}

/** The first executable `name` on PATH, or null. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

/**
 * A redis-server from PATH with its data in the data folder, configured like docker-compose's
 * (append-only file, 256 MB, allkeys-lru), so cached data survives restarts the same way.
 */
export async function startLocalRedis({
  dataDir,
  host,
  port,
  onLine = () => {},
  signal,
}: LocalRedisOptions): Promise<LocalRedis> {
  const server = onPath('redis-server');
  if (!server) throw new Error('redis-server is not on PATH');
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dataDir, 'run', 'redis.pid');
  const url = `redis://${host}:${port}`;
  // Options as arguments, not a config file: one place, visible in `ps`.
  const { service, ready: version } = await startService({
    name: 'redis',
    command: server,
    args: [
      '--bind',
      host,
      '--port',
      String(port),
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--maxmemory',
      '256mb',
      '--maxmemory-policy',
      'allkeys-lru',
      '--daemonize',
      'no',
    ],
    pidFile,
    // redis-server replaces its process title with this.
    signature: `redis-server ${host}:${port}`,
    onLine,
    ready: () => serverVersion(url),
    timeoutMs: 15_000,
    signal,
  });
  return { url, version, process: service };
}

/** PINGs and reads the version; throws while the server is not up. */
export async function serverVersion(url: string): Promise<string> {
  const client = createClient({ url, socket: { connectTimeout: 1_000, reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.ping();
    const info = await client.info('server');
    return `Redis ${info.match(/redis_version:(\S+)/)?.[1] ?? '?'}`;
  } finally {
    client.destroy();
  }
}
