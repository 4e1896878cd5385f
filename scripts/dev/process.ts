import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';
import { retry } from './wait';

/**
 * The one process supervisor of this repository: `npm run dev`, the bench, the load test and the tests
 * start every long-running program (wrangler, astro, postgres, redis-server, ...) through it. A service
 * runs in its own process group, is stopped group-wide, keeps the last lines of its output, and is
 * waited for until it answers a health check, failing with those lines when it never does.
 */

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface ServiceProcess {
  name: string;
  /** Also the process group id: every descendant (workerd, postgres backends) is in that group. */
  pid: number;
  /** Settles when the leader has exited and what it wrote has been read. */
  exited: Promise<Exit>;
  /** Graceful signal to the whole group, SIGKILL after the timeout; resolves when the group is empty. */
  stop(): Promise<void>;
  /** Its last lines of output (stdout and stderr as they came, colours stripped), to say why it failed. */
  tail(): string[];
}

export type SpawnServiceOptions = {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as another user (postgres refuses to run as root). */
  uid?: number;
  gid?: number;
  onLine?: (line: string) => void;
  /**
   * What the program treats as "shut down cleanly": postgres wants SIGINT (fast shutdown). SIGKILL is a
   * crash, for tests of what an outage does.
   */
  stopSignal?: StopSignal;
  stopTimeoutMs?: number;
  /**
   * Records the pid (and the signature below) so that a later run can end this process if the one that started it
   * was killed without a chance to clean up (SIGKILL, a crash). None for a test's throwaway service: its
   * folder is fresh every time, so no later run would look there.
   */
  pidFile?: string;
  /**
   * Text that `ps` shows for this program, to recognise it in a later run. Default: the program and
   * its first argument, enough to tell `node …/wrangler.js` from any other node process.
   */
  signature?: string;
};

const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGKILL'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

const pidRecord = z.object({
  pid: z.number().int().positive(),
  signature: z.string().min(1),
  stopSignal: z.enum(STOP_SIGNALS),
});

/** Enough of a service's output to see why it failed, without keeping all of it. */
const TAIL_LINES = 40;
/** How long the exit waits for the last output when descendants still hold the pipes open. */
const LAST_WORDS_MS = 100;

/**
 * Starts a program in its own process group, so one signal reaches everything it spawns and a
 * terminal's Ctrl-C reaches only the supervisor, which then stops services in order. A group that an
 * earlier, killed run left under the same pid file is ended first.
 */
export async function spawnService({
  name,
  command,
  args,
  cwd,
  env,
  uid,
  gid,
  onLine = () => {},
  stopSignal = 'SIGTERM',
  stopTimeoutMs = 10_000,
  pidFile,
  signature = [command, ...args.slice(0, 1)].join(' '),
}: SpawnServiceOptions): Promise<ServiceProcess> {
  if (pidFile) await reapStale(pidFile);
  const child = spawn(command, args, { cwd, env, uid, gid, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const last: string[] = [];
  const outputRead = Promise.all(
    [child.stdout, child.stderr].map((stream) => {
      const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on('line', (line) => {
        // For error messages and reports, not a terminal: colour codes would only clutter them.
        last.push(stripVTControlCharacters(line));
        if (last.length > TAIL_LINES) last.shift();
        onLine(line);
      });
      return once(lines, 'close');
    }),
  );
  const exited = new Promise<Exit>((resolve, reject) => {
    // 'exit' can come before the last lines are read, and those say why it exited.
    child.once('exit', (code, signal) =>
      Promise.race([outputRead, sleep(LAST_WORDS_MS)]).then(() => resolve({ code, signal })),
    );
    child.once('error', reject);
  });
  // An 'error' after the start (a failed kill) rejects `exited`: whoever waits on it sees it, nobody else crashes.
  exited.catch(() => {});
  const pid = child.pid;
  if (pid === undefined) {
    // The spawn itself failed (ENOENT, EACCES): `exited` rejects with why, and that is what is thrown.
    await exited;
    throw new Error(`${name} did not start`);
  }
  if (pidFile) {
    mkdirSync(dirname(pidFile), { recursive: true });
    writeFileSync(pidFile, JSON.stringify({ pid, signature, stopSignal }));
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await stopGroup(pid, stopSignal, stopTimeoutMs);
      if (pidFile) rmSync(pidFile, { force: true });
    })();
    return stopping;
  };
  return { name, pid, exited, stop, tail: () => [...last] };
}

export type StartServiceOptions<T> = SpawnServiceOptions & {
  /** Resolves once the service serves (a health check); retried until it does. */
  ready: () => Promise<T>;
  timeoutMs: number;
  intervalMs?: number;
  /** Aborting gives up waiting (and stops the service). */
  signal?: AbortSignal;
};

/**
 * Spawns a service and waits until `ready` resolves. When it does not in time, or the program exits
 * first, the service is stopped and the error carries its last lines. `onSpawned` gets the process
 * before the wait, for whoever must be able to stop it meanwhile (a supervisor on Ctrl-C).
 */
export async function startService<T>(
  { ready, timeoutMs, intervalMs, signal, ...options }: StartServiceOptions<T>,
  onSpawned: (service: ServiceProcess) => void = () => {},
): Promise<{ service: ServiceProcess; ready: T }> {
  const service = await spawnService(options);
  onSpawned(service);
  // Once the wait has failed (the program exited, say), the health check must stop polling too.
  const gaveUp = new AbortController();
  const checks = retry(service.name, ready, {
    timeoutMs,
    intervalMs,
    signal: signal ? AbortSignal.any([signal, gaveUp.signal]) : gaveUp.signal,
  });
  try {
    return { service, ready: await untilReady(service, checks) };
  } catch (error) {
    gaveUp.abort();
    checks.catch(() => {});
    await service.stop();
    throw signal?.aborted ? error : new ServiceFailed(service, error);
  }
}

/** A service that did not come up (or was given up on): why, and the last lines it wrote. */
export class ServiceFailed extends Error {
  override name = 'ServiceFailed';
  readonly service: string;
  readonly reason: string;
  readonly tail: string[];
  constructor(service: ServiceProcess, error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    const tail = service.tail();
    super(tail.length ? `${reason}. Its last lines:\n${indent(tail)}` : reason, { cause: error });
    this.service = service.name;
    this.reason = reason;
    this.tail = tail;
  }
}

/** Output lines set off under a message. */
export function indent(lines: string[]): string {
  return lines.map((l) => `  | ${l}`).join('\n');
}

export interface Supervisor {
  /** Registers something to undo; undone last-registered-first. */
  defer(name: string, run: () => Promise<unknown>): void;
  /** startService, with the service's stop registered from the moment it is spawned. */
  start<T>(options: StartServiceOptions<T>): Promise<{ service: ServiceProcess; ready: T }>;
  /** Undoes everything registered so far (once); failures are reported, not thrown. */
  stopAll(): Promise<void>;
  /** Runs `main`, then stops everything, whether it returned, threw, or the user pressed Ctrl-C. */
  run(main: () => Promise<void>): Promise<void>;
}

/**
 * Owns what a run starts (services, servers, databases) so that nothing outlives it: on success, on an
 * error, and (through `run`) on SIGINT/SIGTERM/SIGHUP.
 */
export function createSupervisor(say: (line: string) => void = (line) => console.error(line)): Supervisor {
  const cleanups: { name: string; run: () => Promise<unknown> }[] = [];
  let stopping: Promise<void> | undefined;
  const defer = (name: string, run: () => Promise<unknown>) => {
    cleanups.push({ name, run });
  };

  const stopAll = () => {
    stopping ??= (async () => {
      for (const cleanup of cleanups.splice(0).reverse()) {
        await cleanup
          .run()
          .catch((error) => say(`stop ${cleanup.name}: ${error instanceof Error ? error.message : error}`));
      }
    })();
    return stopping;
  };

  return {
    defer,
    start: (options) => startService(options, (service) => defer(service.name, service.stop)),
    stopAll,
    async run(main) {
      const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
      const onSignal = (signal: NodeJS.Signals) => {
        say(`${signal}: stopping everything this run started`);
        void stopAll().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)));
      };
      for (const signal of signals) process.on(signal, onSignal);
      try {
        await main();
      } finally {
        await stopAll();
        for (const signal of signals) process.off(signal, onSignal);
      }
    },
  };
}

/** Like Promise.all, but waits for every start to finish before rethrowing, so none is left unstopped. */
export async function settleAll<T extends readonly unknown[]>(starts: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(starts);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Ends every group recorded in `dir` that an earlier run left behind (see reapStale). */
export async function reapStaleIn(dir: string): Promise<number[]> {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.pid')) : [];
  const ended = await Promise.all(files.map((f) => reapStale(join(dir, f))));
  return ended.filter((pid): pid is number => pid !== null);
}

/** Ends a group left behind by an earlier run, if the pid file names one that is still that program. */
async function reapStale(pidFile: string): Promise<number | null> {
  let record: z.infer<typeof pidRecord>;
  try {
    record = pidRecord.parse(JSON.parse(readFileSync(pidFile, 'utf8')));
  } catch {
    return null;
  }
  rmSync(pidFile, { force: true });
  // A reused pid belongs to some other program: only a matching command line is ours.
  const args = spawnSync('ps', ['-o', 'args=', '-p', String(record.pid)], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (!groupAlive(record.pid) || !args.includes(record.signature)) return null;
  await stopGroup(record.pid, record.stopSignal, 10_000);
  return record.pid;
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but is not ours to signal, which still means alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A service whose program ended while it was being waited for. */
export class ExitedBeforeReady extends Error {
  override name = 'ExitedBeforeReady';
  constructor(
    readonly service: string,
    { code, signal }: Exit,
  ) {
    super(`${service} exited before it was ready (${signal ?? `code ${code}`})`);
  }
}

/** Waits for `ready`, failing at once (with the program's exit) if the program dies first. */
export async function untilReady<T>(service: ServiceProcess, ready: Promise<T>): Promise<T> {
  const died = service.exited.then((exit) => {
    throw new ExitedBeforeReady(service.name, exit);
  });
  died.catch(() => {});
  return Promise.race([ready, died]);
}

async function stopGroup(pgid: number, signal: NodeJS.Signals, timeoutMs: number) {
  if (!signalGroup(pgid, signal)) return;
  if (await groupGone(pgid, timeoutMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await groupGone(pgid, 5_000);
}

/** Sends `signal` to every process of the group; false when there is no such group (any more). */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}
