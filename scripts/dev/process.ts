import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface ServiceProcess {
  name: string;
  /** Also the process group id: every descendant (workerd, postgres backends) is in that group. */
  pid: number;
  /** Settles when the leader has exited. */
  exited: Promise<Exit>;
  /** Graceful signal to the whole group, SIGKILL after the timeout; resolves when the group is empty. */
  stop(): Promise<void>;
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
  /** What the program treats as "shut down cleanly": postgres wants SIGINT (fast shutdown). */
  stopSignal?: 'SIGTERM' | 'SIGINT';
  stopTimeoutMs?: number;
  /**
   * Records the pid (and the signature below) so that a later run can end this process if the one that started it
   * was killed without a chance to clean up (SIGKILL, a crash).
   */
  pidFile: string;
  /**
   * Text that `ps` shows for this program, to recognise it in a later run. Default: the program and
   * its first argument, enough to tell `node …/wrangler.js` from any other node process.
   */
  signature?: string;
};

const pidRecord = z.object({
  pid: z.number().int().positive(),
  signature: z.string().min(1),
  stopSignal: z.enum(['SIGTERM', 'SIGINT']),
});

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
  await reapStale(pidFile);
  const child = spawn(command, args, { cwd, env, uid, gid, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', reject);
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', onLine);
  }
  // A failed spawn (ENOENT) rejects `exited`; whoever waits on it sees the error, nobody else crashes.
  exited.catch(() => {});
  const pid = child.pid;
  if (pid === undefined) return { name, pid: -1, exited, stop: async () => {} };
  mkdirSync(dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, JSON.stringify({ pid, signature, stopSignal }));

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await stopGroup(pid, stopSignal, stopTimeoutMs);
      rmSync(pidFile, { force: true });
    })();
    return stopping;
  };
  return { name, pid, exited, stop };
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

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
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
