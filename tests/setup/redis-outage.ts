import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { TestProject } from 'vitest/node';
import { startThrowawayUpstash } from '../support/redis-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** An Upstash endpoint over a private redis-server that tests may stop and start. */
    outageUpstashUrl: string;
    outageUpstashToken: string;
    /** POST `/redis/stop` and `/redis/start` here: workerd cannot signal processes itself. */
    outageControlUrl: string;
    /** Accepts requests and never answers: a Redis endpoint that is there but hopelessly slow. */
    hangingUpstashUrl: string;
  }
}

/** Redis failures on demand, without ever touching the machine's shared Redis. */
export default async function setup(project: TestProject) {
  const { redis, endpoint, close } = await startThrowawayUpstash('outage');
  const control = await listen(
    createServer((req, res) => {
      const action = { '/redis/stop': redis.stop, '/redis/start': redis.start }[req.url ?? ''];
      if (req.method !== 'POST' || !action) return void res.writeHead(404).end();
      action().then(
        () => res.writeHead(204).end(),
        (error: Error) => res.writeHead(500).end(error.message),
      );
    }),
  );
  const hanging = await listen(createServer(() => {}));

  project.provide('outageUpstashUrl', endpoint.url);
  project.provide('outageUpstashToken', endpoint.token);
  project.provide('outageControlUrl', control.url);
  project.provide('hangingUpstashUrl', hanging.url);
  return async () => {
    await Promise.all([close(), control.close(), hanging.close()]);
  };
}

async function listen(server: Server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
