import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP pass-through whose listener can be shut ("connection refused", live connections cut) and
 * reopened on the same port: a database outage and recovery without stopping the shared server.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const live = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      live.add(s);
      s.on('close', () => live.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  let up = true;

  return {
    port,
    async down() {
      if (!up) return;
      up = false;
      const closed = new Promise((resolve) => server.close(resolve));
      for (const s of live) s.destroy();
      await closed;
    },
    async up() {
      if (up) return;
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      up = true;
    },
    async close() {
      for (const s of live) s.destroy();
      if (up) await new Promise((resolve) => server.close(resolve));
    },
  };
}
