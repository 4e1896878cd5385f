import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';
import { wranglerDev } from '../../../scripts/dev/commands';
import { spawnService, untilReady } from '../../../scripts/dev/process';
import { httpGet, retry } from '../../../scripts/dev/wait';
import { DEPLOYED_SECRETS } from '../../../worker/config';
import { freePort } from '../../observability/support/ports';

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
  const work = mkdtempSync(join(tmpdir(), 'meatymusic-deployed-'));
  const envFile = join(work, 'secrets.env');
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
  const lines: string[] = [];
  const proc = await spawnService({
    name: `api-${environment ?? 'default'}`,
    ...wranglerDev({
      host: '127.0.0.1',
      port,
      inspectorPort,
      persistTo: join(work, 'state'),
      vars,
      databaseUrl,
      environment,
      envFile,
      env,
    }),
    pidFile: join(work, 'api.pid'),
    onLine: (line) => lines.push(stripVTControlCharacters(line)),
  });
  const stop = async () => {
    await proc.stop();
    rmSync(work, { recursive: true, force: true });
  };
  return { url: `http://127.0.0.1:${port}`, proc, output: () => lines.join('\n'), stop };
}

/** A Worker that must start: resolves once /healthz answers. */
export async function startWranglerEnv(options: WranglerEnvOptions): Promise<WranglerEnv> {
  const w = await spawnWrangler(options);
  try {
    await untilReady(
      w.proc,
      retry('wrangler dev', () => httpGet(`${w.url}/healthz`), { timeoutMs: 90_000 }),
    );
  } catch (error) {
    await w.stop();
    throw new Error(`${error instanceof Error ? error.message : error}\n${w.output().slice(-3000)}`);
  }
  return { url: w.url, output: w.output, stop: w.stop };
}

/** A Worker that must refuse to start: resolves with wrangler's output once the refusal is in it. */
export async function refusedWranglerEnv(options: WranglerEnvOptions, refusal: RegExp): Promise<WranglerEnv> {
  const w = await spawnWrangler(options);
  try {
    await retry(
      'the refusal',
      async () => {
        if (!refusal.test(w.output())) throw new Error('not refused yet');
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
  } catch (error) {
    await w.stop();
    throw new Error(`${error instanceof Error ? error.message : error}\n${w.output().slice(-3000)}`);
  }
  return { url: w.url, output: w.output, stop: w.stop };
}
