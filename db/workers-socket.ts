import { connect } from 'cloudflare:sockets';
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';

/**
 * A net.Socket look-alike over `cloudflare:sockets` for postgres.js's `socket` option.
 *
 * postgres.js ships its own for workerd, but when it closes a connection the pending read rejects
 * with "This socket has been closed" after postgres.js has removed its listeners, and the
 * re-emitted 'error' becomes an unhandled rejection. Here a read failing because *we* closed
 * is the normal end of the stream, not an error.
 */
export async function openWorkersSocket(options: { host: string[]; port: number[] }) {
  const host = options.host[0];
  const port = options.port[0];
  if (!host || !port) throw new Error('postgres: no host/port to connect to');

  const raw = connect({ hostname: host, port });
  // When opening fails, `closed` rejects too, before its handler below exists.
  raw.closed.catch(() => {});
  // Rejects (e.g. connection refused) before postgres.js starts talking; it reports it as an error.
  await raw.opened;

  const socket = new EventEmitter() as EventEmitter & {
    write(data: Uint8Array, callback?: () => void): boolean;
    end(data?: Uint8Array): void;
    destroy(): void;
    readyState: 'open' | 'closed';
  };
  const writer = raw.writable.getWriter();
  const reader = raw.readable.getReader();
  // A dropped connection rejects these too; the read loop and `raw.closed` already report it once.
  writer.closed.catch(() => {});
  reader.closed.catch(() => {});
  let closing = false;

  const finish = () => {
    if (socket.readyState === 'closed') return;
    socket.readyState = 'closed';
    socket.emit('close');
  };
  const fail = (error: unknown) => {
    if (!closing && socket.listenerCount('error') > 0) socket.emit('error', error);
    finish();
  };
  const close = () => {
    closing = true;
    raw.close().catch(() => {});
  };

  socket.readyState = 'open';
  socket.write = (data, callback) => {
    writer.write(data).then(callback, fail);
    return true;
  };
  socket.end = (data) => {
    if (data) writer.write(data).then(close, close);
    else close();
  };
  socket.destroy = close;

  (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        // A view over the chunk, not a copy of it: each chunk is read once, by postgres.js.
        socket.emit('data', Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
      finish();
    } catch (error) {
      fail(error);
    }
  })();
  raw.closed.then(finish, fail);

  return socket;
}
