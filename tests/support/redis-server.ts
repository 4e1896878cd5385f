import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';

/** A port the OS just said is free (ephemeral range, so it never collides with fixed service ports). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** True once something on the port answers PING with PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    for (const event of ['error', 'timeout', 'close']) socket.once(event, () => resolve(false));
  });
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
  let child: ChildProcess | undefined;
  const kill = () => child?.kill('SIGKILL');
  process.once('exit', kill);

  const start = async () => {
    if (child) return;
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
      { stdio: 'ignore' },
    );
    const exited = once(child, 'exit').then(() => {
      throw new Error(`redis-server on port ${port} exited at start`);
    });
    exited.catch(() => {});
    const deadline = Date.now() + 5_000;
    while (!(await answersPing(port))) {
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20))]);
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 5 s`);
    }
  };

  const stop = async () => {
    const running = child;
    if (!running) return;
    child = undefined;
    if (running.exitCode === null && running.signalCode === null) {
      running.kill('SIGKILL');
      await once(running, 'exit');
    }
  };

  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}
