import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { wranglerDev } from '../../../scripts/dev/commands';
import { spawnService, untilReady } from '../../../scripts/dev/process';
import { httpGet, retry } from '../../../scripts/dev/wait';

export type LogLine = Record<string, unknown> & { message: string; level: string };

export interface RunningApi {
  url: string;
  /** Everything wrangler and the Worker wrote, line by line. */
  output(): string[];
  /** The Worker's JSON log lines. */
  logs(): LogLine[];
  /** Resolves with the first JSON log line matching, waiting for it to come through wrangler's stdout. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  stop(): Promise<void>;
}

export type StartApiOptions = {
  port: number;
  inspectorPort: number;
  /** The app role's connection to a migrated database. */
  appDatabaseUrl: string;
  vars: Record<string, string>;
};

/** The real Worker entry (worker/index.ts) under `wrangler dev`: workerd, Hyperdrive to Postgres, real sockets. */
export async function startApi({ port, inspectorPort, appDatabaseUrl, vars }: StartApiOptions): Promise<RunningApi> {
  const work = mkdtempSync(join(tmpdir(), 'meatymusic-obs-'));
  const lines: string[] = [];
  const proc = await spawnService({
    name: 'api',
    ...wranglerDev({
      host: '127.0.0.1',
      port,
      inspectorPort,
      persistTo: join(work, 'state'),
      vars,
      databaseUrl: appDatabaseUrl,
    }),
    pidFile: join(work, 'api.pid'),
    onLine: (line) => lines.push(line),
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await proc.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    await untilReady(
      proc,
      retry('wrangler dev', () => httpGet(`${url}/healthz`), { timeoutMs: 90_000 }),
    );
  } catch (error) {
    await stop();
    throw new Error(`${error instanceof Error ? error.message : error}\n${lines.slice(-30).join('\n')}`);
  }

  const logs = () => lines.flatMap(jsonLine);
  return {
    url,
    output: () => [...lines],
    logs,
    waitForLog: (predicate, timeoutMs = 5_000) =>
      retry(
        'log line',
        async () => {
          const found = logs().find(predicate);
          if (!found) throw new Error('not logged yet');
          return found;
        },
        { timeoutMs, intervalMs: 25 },
      ),
    stop,
  };
}

// wrangler dev decorates console.warn/error lines (`▲ [WARNING] {...}`, with colours); the JSON is within.
function jsonLine(line: string): LogLine[] {
  const plain = stripVTControlCharacters(line);
  const start = plain.indexOf('{');
  if (start < 0) return [];
  try {
    const parsed = JSON.parse(plain.slice(start)) as LogLine;
    return typeof parsed.message === 'string' ? [parsed] : [];
  } catch {
    return [];
  }
}
