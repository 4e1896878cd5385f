import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { retry } from '../../../scripts/dev/wait';
import { DEPLOYED_SECRETS } from '../../../worker/config';
import { freePort } from '../../observability/support/ports';
import { spawnWorker, untilHealthy } from '../../support/wrangler-worker';

/**
 * This suite's ports: 20 from E2E_PORT_BASE + 10 (default 18310), after the browser suite's four,
 * so a second checkout's run with its own base does not collide.
 */
const first = z.coerce.number().int().min(1024).max(65_000).default(18300).parse(process.env.E2E_PORT_BASE) + 10;
const last = first + 19;

export type WranglerEnvOptions = {
  /** The wrangler.toml environment; none means the top level, as a deploy without --env builds it. */
  environment?: 'production' | 'staging';
  /** Secrets as `wrangler secret put` would hold them; written to the one env file wrangler reads. */
  secrets: Record<string, string>;
  /** `--var`s, as a preview's upload adds them on top of the env's vars. */
  vars?: Record<string, string>;
  databaseUrl: string;
};

export interface WranglerEnv {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `wrangler dev --env <name>` in local mode with nothing from the developer's machine: the secrets
 * from a file of the test's own, none of the required names in its environment.
 */
async function spawnWrangler({ environment, secrets, vars = {}, databaseUrl }: WranglerEnvOptions) {
  const secretsDir = mkdtempSync(join(tmpdir(), 'meatymusic-deployed-secrets-'));
  const envFile = join(secretsDir, 'secrets.env');
  writeFileSync(
    envFile,
    Object.entries(secrets)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}\n`)
      .join(''),
  );
  const port = await freePort(first, last);
  const inspectorPort = await freePort(port + 1, last);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !(DEPLOYED_SECRETS as readonly string[]).includes(key) && !key.startsWith('VITEST'),
    ),
  ) as NodeJS.ProcessEnv;
  const worker = await spawnWorker(`api-${environment ?? 'default'}`, {
    port,
    inspectorPort,
    vars,
    databaseUrl,
    environment,
    envFile,
    env,
  });
  const forgetSecrets = () => rmSync(secretsDir, { recursive: true, force: true });
  return {
    ...worker,
    output: () => worker.lines().join('\n'),
    stop: async () => {
      await worker.stop();
      forgetSecrets();
    },
    fail: (error: unknown) => {
      forgetSecrets();
      return worker.fail(error);
    },
  };
}

/** A Worker that must start: resolves once /healthz answers. */
export async function startWranglerEnv(options: WranglerEnvOptions): Promise<WranglerEnv> {
  const w = await spawnWrangler(options);
  await untilHealthy(w);
  return { url: w.url, output: w.output, stop: w.stop };
}

/** A Worker that must refuse to start: resolves with wrangler's output once the refusal is in it. */
export async function refusedWranglerEnv(options: WranglerEnvOptions, refusal: RegExp): Promise<WranglerEnv> {
  const w = await spawnWrangler(options);
  await retry(
    'the refusal',
    async () => {
      if (!refusal.test(w.output())) throw new Error('not refused yet');
    },
    { timeoutMs: 90_000, intervalMs: 100 },
  ).catch(w.fail);
  return { url: w.url, output: w.output, stop: w.stop };
}
