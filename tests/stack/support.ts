import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { groupAlive, spawnService } from '../../scripts/dev/process';
import type { Stack, StackOptions, StackPorts } from '../../scripts/dev/stack';
import { portOpen } from '../../scripts/dev/wait';
import { localEnv } from '../../scripts/local-env';

export const HOST = '127.0.0.1';

/** Seven consecutive ports from `base` (this suite owns 18400-18499; each test file takes its own ten). */
export function portsFrom(base: number): StackPorts {
  return {
    postgres: base,
    redis: base + 1,
    upstash: base + 2,
    otlp: base + 3,
    api: base + 4,
    site: base + 5,
    inspector: base + 6,
  };
}

export function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'meatymusic-stack-'));
}

/**
 * The environment of a developer's shell: without vitest's own variables, which change how the
 * services behave (with VITEST set, `astro dev` answers 404 for every page).
 */
export function shellEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'NODE_ENV'),
  ) as NodeJS.ProcessEnv;
}

/**
 * `npm run dev` as a terminal runs it, without API and site (the in-process services, Postgres and
 * Redis), on `ports`, in its own process group (a group-wide SIGINT is a Ctrl-C). Its output collects
 * as it comes.
 */
export async function spawnDevCli(
  command: string,
  args: string[],
  { cwd, ports, dataDir }: { cwd: string; ports: StackPorts; dataDir: string },
) {
  let output = '';
  const cli = await spawnService({
    name: 'npm run dev',
    command,
    args: [...args, '--no-api', '--no-site'],
    cwd,
    env: {
      ...shellEnv(),
      DATABASE_URL: '',
      REDIS_URL: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      DEV_DATA_DIR: dataDir,
      DEV_POSTGRES_PORT: String(ports.postgres),
      DEV_REDIS_PORT: String(ports.redis),
      UPSTASH_ENDPOINT_PORT: String(ports.upstash),
      DEV_OTLP_PORT: String(ports.otlp),
    },
    onLine: (line) => {
      output += `${line}\n`;
    },
  });
  return { cli, output: () => output };
}

/** A whole local stack as `npm run dev` would start it, in a throwaway data folder. */
export function stackOptions(overrides: Partial<StackOptions> & { ports: StackPorts }): StackOptions {
  const env = localEnv();
  return {
    dataDir: freshDataDir(),
    host: HOST,
    postgres: 'local',
    redis: 'local',
    traces: 'local',
    appDatabasePassword: env.APP_DATABASE_PASSWORD,
    upstashToken: `stack-test-${process.pid}-token`,
    webhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
    devUserId: 'user_dev',
    api: true,
    site: true,
    env: shellEnv(),
    ...overrides,
  };
}

/** Stops the stack and proves it: no process of any group it started is alive, no port still listens. */
export async function stopAndAssertNothingLeft(stack: Stack) {
  const groups = stack.processGroups();
  const ports = stack.listening();
  await stack.stop();
  expect(groups.filter(groupAlive)).toEqual([]);
  const open = [];
  for (const port of ports) if (await portOpen(HOST, port)) open.push(port);
  expect(open).toEqual([]);
}
