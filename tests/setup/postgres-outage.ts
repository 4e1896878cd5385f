import { once } from 'node:events';
import { createServer } from 'node:http';
import type { TestProject } from 'vitest/node';
import { startTcpProxy } from '../support/tcp-proxy';
import { testDatabase } from './global';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The app role's URL through a proxy that tests can take down: the Worker's database "stops". */
    outageAppDatabaseUrl: string;
    /** POST `/postgres/stop` and `/postgres/start` here (workerd cannot run the proxy itself). */
    postgresControlUrl: string;
  }
}

/** Postgres outages on demand, without stopping the Postgres everyone else is using. */
export default async function setup(project: TestProject) {
  const url = new URL(testDatabase().appUrl);
  const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  const control = createServer((req, res) => {
    const action = { '/postgres/stop': proxy.down, '/postgres/start': proxy.up }[req.url ?? ''];
    if (req.method !== 'POST' || !action) return void res.writeHead(404).end();
    action().then(
      () => res.writeHead(204).end(),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  control.listen(0, '127.0.0.1');
  await once(control, 'listening');
  url.host = `127.0.0.1:${proxy.port}`;
  project.provide('outageAppDatabaseUrl', url.toString());
  project.provide('postgresControlUrl', `http://127.0.0.1:${(control.address() as { port: number }).port}`);
  return async () => {
    control.close();
    await proxy.close();
  };
}
