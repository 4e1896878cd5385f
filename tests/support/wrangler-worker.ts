import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { type WranglerDevOptions, wranglerDev } from '../../scripts/dev/commands';
import { ServiceFailed, type ServiceProcess, spawnService, untilReady } from '../../scripts/dev/process';
import { httpGet, retry } from '../../scripts/dev/wait';

export interface WorkerProcess {
  url: string;
  proc: ServiceProcess;
  /** Everything wrangler and the Worker wrote so far, line by line, colours stripped. */
  lines(): string[];
  stop(): Promise<void>;
  /** Stops the Worker and throws `error` with the output's last lines, for a start that went wrong. */
  fail(error: unknown): Promise<never>;
}

/** The real Worker under `wrangler dev` (workerd, Hyperdrive to Postgres), in a work folder of its own. */
export async function spawnWorker(
  name: string,
  options: Omit<WranglerDevOptions, 'host' | 'persistTo'>,
): Promise<WorkerProcess> {
  const work = mkdtempSync(join(tmpdir(), `meatymusic-${name}-`));
  const lines: string[] = [];
  const proc = await spawnService({
    name,
    ...wranglerDev({ ...options, host: '127.0.0.1', persistTo: join(work, 'state') }),
    onLine: (line) => lines.push(stripVTControlCharacters(line)),
  });
  const stop = async () => {
    await proc.stop();
    rmSync(work, { recursive: true, force: true });
  };
  return {
    url: `http://127.0.0.1:${options.port}`,
    proc,
    lines: () => [...lines],
    stop,
    fail: async (error) => {
      await stop();
      throw new ServiceFailed(proc, error);
    },
  };
}

/** Resolves once the Worker answers /healthz; a Worker that exits or never answers fails with its output. */
export async function untilHealthy(worker: WorkerProcess): Promise<void> {
  await untilReady(
    worker.proc,
    retry('wrangler dev', () => httpGet(`${worker.url}/healthz`), { timeoutMs: 90_000 }),
  ).catch(worker.fail);
}
