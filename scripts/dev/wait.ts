import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Calls `attempt` until it resolves, or throws its last error once `timeoutMs` has passed. */
export async function retry<T>(
  what: string,
  attempt: () => Promise<T>,
  {
    timeoutMs = 30_000,
    intervalMs = 200,
    signal,
  }: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (Date.now() > deadline) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`${what}: not ready after ${Math.round(timeoutMs / 1000)} s (${reason})`);
      }
      await sleep(intervalMs);
    }
  }
}

/** A GET that must answer 2xx within `timeoutMs`; returns the response and how long it took. */
export async function httpGet(url: string, { timeoutMs = 2_000, headers = {} as Record<string, string> } = {}) {
  const started = performance.now();
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const ms = performance.now() - started;
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`GET ${url} -> ${response.status}`);
  }
  return { response, ms };
}

/** Fails with the variable to change when something already listens on a port we are about to use. */
export function assertPortFree(host: string, port: number, setting: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `${host}:${port} is already in use: stop what listens there or set ${setting}`
            : `${host}:${port}: ${error.message}`,
        ),
      ),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** A `ready` check: resolves once something accepts TCP connections on host:port, throws until then. */
export async function listening(host: string, port: number): Promise<void> {
  if (!(await portOpen(host, port))) throw new Error(`nothing listens on ${host}:${port} yet`);
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
