import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageBin, REPO_ROOT } from '../../scripts/dev/paths';
import { groupAlive } from '../../scripts/dev/process';
import { portOpen } from '../../scripts/dev/wait';
import { freshDataDir, HOST, portsFrom } from './support';

const ports = portsFrom(18410);
const dataDir = freshDataDir();

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm run dev in a terminal', () => {
  it('prints each service with its health, and Ctrl-C stops everything it started', async () => {
    const dev = spawn(process.execPath, [packageBin('tsx'), 'scripts/dev.ts', '--no-api', '--no-site'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: '',
        REDIS_URL: '',
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
        DEV_DATA_DIR: dataDir,
        DEV_POSTGRES_PORT: String(ports.postgres),
        DEV_REDIS_PORT: String(ports.redis),
        UPSTASH_ENDPOINT_PORT: String(ports.upstash),
        DEV_OTLP_PORT: String(ports.otlp),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    dev.stdout.on('data', (chunk) => (output += chunk));
    dev.stderr.on('data', (chunk) => (output += chunk));
    const exited = once(dev, 'exit');
    await expect.poll(() => output, { timeout: 60_000, interval: 250 }).toMatch(/Ready\./);

    expect(output).toMatch(/^ok\s+postgres\s+postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:18410\/meatymusic\s+up/m);
    expect(output).toMatch(/^ok\s+migrations\s+\d+ applied/m);
    expect(output).toMatch(/^ok\s+upstash\s+http:\/\/127\.0\.0\.1:18412/m);
    // Services run as their own process groups, recorded so a later run can end them after a crash.
    const groups = readdirSync(join(dataDir, 'run')).map(
      (file) => (JSON.parse(readFileSync(join(dataDir, 'run', file), 'utf8')) as { pid: number }).pid,
    );
    expect(groups.length).toBeGreaterThanOrEqual(1);
    expect(groups.every(groupAlive)).toBe(true);

    dev.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(130);
    expect(groups.filter(groupAlive)).toEqual([]);
    for (const port of [ports.postgres, ports.redis, ports.upstash, ports.otlp]) {
      expect(await portOpen(HOST, port), `port ${port}`).toBe(false);
    }
    expect(readdirSync(join(dataDir, 'run'))).toEqual([]);
  });
});
