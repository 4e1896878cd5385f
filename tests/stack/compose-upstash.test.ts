import { spawnSync } from 'node:child_process';
import { Ratelimit } from '@upstash/ratelimit';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../scripts/dev/paths';
import { type ServiceProcess, startService } from '../../scripts/dev/process';
import { listening } from '../../scripts/dev/wait';
import { startThrowawayRedis } from '../support/redis-server';
import { shellEnv } from './support';

type Service = { command: string[]; environment: Record<string, string>; healthcheck: { test: string[] } };

/** The `upstash` service as `docker compose config` resolves it (the client only: no engine here). */
function composeService(): Service | null {
  for (const bin of [['docker', 'compose'], ['docker-compose']]) {
    const run = spawnSync(bin[0]!, [...bin.slice(1), '--project-directory', REPO_ROOT, 'config'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    if (run.status === 0) return (parse(run.stdout) as { services: Record<string, Service> }).services.upstash ?? null;
  }
  return null;
}

const service = composeService();
// This suite's ports are 18400-18499, ten per file.
const PORT = 18440;

/**
 * The container's own command line and environment, run here: what differs is only what the
 * container network provides (redis's address, the published port, the interface).
 */
describe.skipIf(!service)("docker-compose's upstash service, run as its container would run it", () => {
  let redis: Awaited<ReturnType<typeof startThrowawayRedis>>;
  let upstash: ServiceProcess | undefined;
  const token = service?.environment.UPSTASH_TOKEN as string;
  const url = `http://127.0.0.1:${PORT}`;

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    const [command, ...args] = service!.command;
    ({ service: upstash } = await startService({
      name: 'upstash',
      command: command!,
      args,
      cwd: REPO_ROOT,
      env: {
        ...shellEnv(),
        ...service!.environment,
        REDIS_URL: redis.url,
        UPSTASH_ENDPOINT_HOST: '127.0.0.1',
        UPSTASH_ENDPOINT_PORT: String(PORT),
      },
      ready: () => listening('127.0.0.1', PORT),
      timeoutMs: 60_000,
    }));
  }, 90_000);
  afterAll(async () => {
    await upstash?.stop();
    await redis?.stop();
  });

  it('passes its own healthcheck', () => {
    const [, node, ...rest] = service!.healthcheck.test;
    const script = rest[rest.indexOf('-e') + 1]!.replace('127.0.0.1:8079', `127.0.0.1:${PORT}`);
    const check = spawnSync(node === 'node' ? process.execPath : node!, ['-e', script], {
      env: { ...process.env, UPSTASH_TOKEN: token },
    });
    expect(check.status).toBe(0);
  });

  it("runs @upstash/ratelimit's scripts: the limit really limits (no error, no fail-open timeout)", async () => {
    const client = new Redis({ url, token, enableTelemetry: false });
    const limiter = new Ratelimit({
      redis: client,
      limiter: Ratelimit.slidingWindow(3, '60 s'),
      prefix: `compose-${Date.now()}`,
      analytics: false,
      enableProtection: false,
    });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.limit('caller'));
    expect(results.map((r) => r.success)).toEqual([true, true, true, false]);
    expect(results.map((r) => r.reason)).toEqual([undefined, undefined, undefined, undefined]);
    expect(results[3]!.remaining).toBe(0);
  });
});
