import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { type ServiceProcess, signalGroup, startService } from '../../scripts/dev/process';
import { serverVersion } from '../../scripts/dev/redis';
import { startUpstashEndpoint } from '../../scripts/upstash-endpoint';

/** A port the OS just said is free (ephemeral range, so it never collides with fixed service ports). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface ThrowawayRedis {
  url: string;
  port: number;
  /** Kills the server the hard way, as a crash would; resolves once it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers PING. */
  start(): Promise<void>;
}

/**
 * A private, empty, non-persistent redis-server for one test run: tests may stop it, and state never
 * leaks between runs or people. It is killed when this process exits, whatever the tests did.
 */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let running: ServiceProcess | undefined;
  // In a process group of its own, as every service is: a run that ends without its teardown (an
  // error in another global setup, say) must end it itself.
  process.once('exit', () => running && signalGroup(running.pid, 'SIGKILL'));

  const start = async () => {
    if (running) return;
    await startService(
      {
        name: 'redis-server',
        command: 'redis-server',
        args: [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--loglevel',
          'warning',
        ],
        stopSignal: 'SIGKILL',
        ready: () => serverVersion(url),
        timeoutMs: 5_000,
        intervalMs: 20,
      },
      (service) => {
        running = service;
      },
    ).catch((error: unknown) => {
      running = undefined;
      throw error;
    });
  };

  const stop = async () => {
    const service = running;
    running = undefined;
    await service?.stop();
  };

  await start();
  return { url, port, stop, start };
}

/**
 * A throwaway redis-server behind the local Upstash-protocol endpoint, with a fresh token named after
 * `purpose`: Redis as the Worker reaches it, private to this run.
 */
export async function startThrowawayUpstash(purpose: string) {
  const redis = await startThrowawayRedis();
  const endpoint = await startUpstashEndpoint({
    port: 0,
    redisUrl: redis.url,
    token: `${purpose}-${randomUUID()}`,
    log: () => {},
  });
  return {
    redis,
    endpoint,
    close: async () => {
      await endpoint.close();
      await redis.stop();
    },
  };
}
