import { createServer } from 'node:net';

/**
 * This suite's ports are 18200-18299. Each test file takes its own slice and uses the first free
 * port in it, so files running side by side (or a second run) do not collide.
 */
export async function freePort(first: number, last: number, host = '127.0.0.1'): Promise<number> {
  for (let port = first; port <= last; port++) {
    if (await isFree(port, host)) return port;
  }
  throw new Error(`no free port in ${first}-${last}`);
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
