import { createServer, type IncomingMessage } from 'node:http';

type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Hono's `app.fetch` behind node:http (what @hono/node-server does, without adding the dependency). */
export function serveFetch(handler: FetchHandler, { host, port }: { host: string; port: number }) {
  const server = createServer(async (req, res) => {
    try {
      const response = await handler(toRequest(req, host, port));
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: error instanceof Error ? error.message : String(error) } }));
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, host);
  return server;
}

function toRequest(req: IncomingMessage, host: string, port: number): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(`http://${host}:${port}${req.url ?? '/'}`, {
    method: req.method,
    headers,
    ...(hasBody ? { body: req as unknown as ReadableStream, duplex: 'half' } : {}),
  } as RequestInit);
}
