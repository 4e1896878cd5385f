import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageBin, REPO_ROOT } from '../../scripts/dev/paths';
import { groupAlive } from '../../scripts/dev/process';
import { portOpen } from '../../scripts/dev/wait';
import { freshDataDir, HOST, portsFrom, spawnDevCli } from './support';

const ports = portsFrom(18410);
const dataDir = freshDataDir();
const started: number[] = [];

afterAll(() => {
  for (const group of started.filter(groupAlive)) process.kill(-group, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** `npm run dev` (the in-process services) through `runner`, on this file's ports and data folder. */
function dev(runner: string[]) {
  return spawnDevCli(process.execPath, [...runner, 'scripts/dev.ts'], { cwd: REPO_ROOT, ports, dataDir });
}

/** The process groups the running stack recorded in its run folder. */
function recordedGroups(): number[] {
  const dir = join(dataDir, 'run');
  const groups = readdirSync(dir).map((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { pid: number }).pid);
  started.push(...groups);
  return groups;
}

async function openPorts() {
  const open = [];
  for (const port of [ports.postgres, ports.redis, ports.upstash, ports.otlp]) {
    if (await portOpen(HOST, port)) open.push(port);
  }
  return open;
}

describe('npm run dev in a terminal', () => {
  it('prints each service with its health, and Ctrl-C stops everything it started', async () => {
    const run = await dev([packageBin('tsx')]);
    await expect.poll(run.output, { timeout: 60_000, interval: 250 }).toMatch(/Ready\./);

    const output = run.output();
    expect(output).toMatch(/^ok\s+postgres\s+postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:18410\/meatymusic\s+up/m);
    expect(output).toMatch(/^ok\s+migrations\s+\d+ applied now \(\d+ in all\)/m);
    expect(output).toMatch(/^ok\s+upstash\s+http:\/\/127\.0\.0\.1:18412/m);
    const groups = recordedGroups();
    expect(groups).toHaveLength(2);
    expect(groups.every(groupAlive)).toBe(true);

    // Ctrl-C: the terminal signals the whole group (tsx and the supervisor both get it).
    process.kill(-run.cli.pid, 'SIGINT');
    const { code } = await run.cli.exited;
    expect(code).toBe(130);
    const after = run.output().slice(output.length);
    expect(after.match(/stopping/g)).toEqual(['stopping']);
    expect(after.trimEnd()).toMatch(/\nEverything stopped\.$/);
    expect(groups.filter(groupAlive)).toEqual([]);
    expect(await openPorts()).toEqual([]);
    expect(readdirSync(join(dataDir, 'run'))).toEqual([]);
  });

  it('after a kill -9, the next run ends what the killed one left running and starts cleanly', async () => {
    // One process (tsx as a loader, not a wrapper), so SIGKILL hits exactly the supervisor.
    const killed = await dev(['--import', 'tsx']);
    await expect.poll(killed.output, { timeout: 60_000, interval: 250 }).toMatch(/Ready\./);
    const orphans = recordedGroups();
    process.kill(killed.cli.pid, 'SIGKILL');
    await killed.cli.exited;
    expect(orphans.every(groupAlive)).toBe(true);

    const next = await dev(['--import', 'tsx']);
    await expect.poll(next.output, { timeout: 60_000, interval: 250 }).toMatch(/Ready\./);
    expect(next.output()).toMatch(/ended 2 service\(s\) left running by an earlier run/);
    expect(next.output()).toMatch(/^ok\s+migrations\s+up to date \(\d+ applied\)/m);
    expect(orphans.filter(groupAlive)).toEqual([]);
    const groups = recordedGroups();
    process.kill(next.cli.pid, 'SIGINT');
    await next.cli.exited;
    expect(groups.filter(groupAlive)).toEqual([]);
    expect(await openPorts()).toEqual([]);
  });

  it('reports a service that dies after Ready at once, with its last log lines, and stops the stack', async () => {
    const run = await dev(['--import', 'tsx']);
    await expect.poll(run.output, { timeout: 60_000, interval: 250 }).toMatch(/Ready\./);
    const redis = JSON.parse(readFileSync(join(dataDir, 'run', 'redis.pid'), 'utf8')) as { pid: number };
    const groups = recordedGroups();
    process.kill(-redis.pid, 'SIGKILL');

    const { code } = await run.cli.exited;
    expect(code).toBe(1);
    const output = run.output();
    expect(output).toMatch(/redis stopped unexpectedly \(killed by SIGKILL\)\. Last lines of \S+redis\.log:/);
    // The tail is Redis's own output (its start-up banner ends with "Ready to accept connections").
    expect(output).toMatch(/ {2}\| .*Ready to accept connections/);
    expect(output.trimEnd()).toMatch(/\nEverything stopped\.$/);
    expect(groups.filter(groupAlive)).toEqual([]);
    expect(await openPorts()).toEqual([]);
  });
});
