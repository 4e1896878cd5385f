import { retry } from '../../../scripts/dev/wait';
import { spawnWorker, untilHealthy } from '../../support/wrangler-worker';

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
  const worker = await spawnWorker('api', { port, inspectorPort, vars, databaseUrl: appDatabaseUrl });
  await untilHealthy(worker);
  const logs = () => worker.lines().flatMap(jsonLine);
  return {
    url: worker.url,
    output: worker.lines,
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
    stop: worker.stop,
  };
}

// wrangler dev decorates console.warn/error lines (`▲ [WARNING] {...}`); the JSON is within.
function jsonLine(plain: string): LogLine[] {
  const start = plain.indexOf('{');
  if (start < 0) return [];
  try {
    const parsed = JSON.parse(plain.slice(start)) as LogLine;
    return typeof parsed.message === 'string' ? [parsed] : [];
  } catch {
    return [];
  }
}
