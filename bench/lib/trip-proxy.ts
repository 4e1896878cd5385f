import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

/** One round trip: bytes sent by the client (`start`) until the first answer reached it (`end`), in performance.now() ms. */
export type Trip = { start: number; end: number };

export type TripProxyOptions = {
  target: { host: string; port: number };
  /** Added to every chunk, each way (one-way latency): a round trip costs 2 x delayMs more. */
  delayMs: number;
  /**
   * `postgres`: the startup handshake (SSL request, startup, authentication, up to the first
   * ReadyForQuery) is neither delayed nor a trip, since Hyperdrive answers it where the Worker runs.
   * `plain`: every exchange is (an HTTP/1.1 request on a kept-alive connection is one).
   */
  protocol: 'postgres' | 'plain';
};

export type TripProxy = {
  port: number;
  /** Completed trips since the last clear(), over all connections. */
  trips(): Trip[];
  clear(): void;
  close(): Promise<void>;
};

/**
 * A TCP proxy that delays each direction and records round trips per connection. A connection is
 * either mid-handshake (postgres only), idle, or in flight (client bytes sent, no answer yet); a
 * trip is the time from idle -> in flight to the first answer byte delivered back. Chunks keep their
 * order: every chunk waits the same delay.
 *
 *   handshake --ReadyForQuery--> idle --client bytes--> in flight --server bytes--> idle (+1 trip)
 */
export async function startTripProxy({ target, delayMs, protocol }: TripProxyOptions): Promise<TripProxy> {
  let done: Trip[] = [];
  const live = new Set<Socket>();
  const after = (delay: number, run: () => void) => (delay > 0 ? setTimeout(run, delay) : run());

  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const handshake = protocol === 'postgres' ? postgresHandshake() : null;
    let flight: number | null = null;
    // Decided per chunk before the handshake state moves on: the chunk ending it still goes at once.
    const delay = () => (handshake && !handshake.done ? 0 : delayMs);
    const later = (run: () => void) => after(delay(), run);
    for (const s of [client, upstream]) {
      // Nagle's algorithm would hold a small chunk until the previous one is acknowledged, and with
      // delayed ACKs that is ~40 ms of stall that no real link adds.
      s.setNoDelay(true);
      live.add(s);
      s.on('close', () => live.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      const now = performance.now();
      const wait = delay();
      if (handshake && !handshake.done) handshake.up(chunk);
      else flight ??= now;
      after(wait, () => upstream.write(chunk));
    });
    upstream.on('data', (chunk: Buffer) => {
      const wait = delay();
      if (handshake && !handshake.done) handshake.down(chunk);
      after(wait, () => {
        if (flight !== null) done.push({ start: flight, end: performance.now() });
        flight = null;
        client.write(chunk);
      });
    });
    client.on('end', () => later(() => upstream.end()));
    upstream.on('end', () => later(() => client.end()));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    trips: () => [...done],
    clear: () => {
      done = [];
    },
    async close() {
      for (const s of live) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const SSL_REQUEST_CODE = 80877103;
const GSS_REQUEST_CODE = 80877104;

/**
 * Follows the server's side of a Postgres startup until its first ReadyForQuery ('Z'). The answer
 * to an SSL/GSS request is a single untyped byte; everything after it is typed, length-prefixed messages.
 */
function postgresHandshake() {
  let pendingSingleByte = 0;
  let buffered = Buffer.alloc(0);
  const state = {
    done: false,
    up(chunk: Buffer) {
      if (chunk.length >= 8 && chunk.readInt32BE(0) === 8) {
        const code = chunk.readInt32BE(4);
        if (code === SSL_REQUEST_CODE || code === GSS_REQUEST_CODE) pendingSingleByte++;
      }
    },
    down(chunk: Buffer) {
      buffered = Buffer.concat([buffered, chunk]);
      while (pendingSingleByte > 0 && buffered.length > 0) {
        pendingSingleByte--;
        buffered = buffered.subarray(1);
      }
      while (buffered.length >= 5) {
        const length = buffered.readInt32BE(1);
        if (buffered.length < 1 + length) return;
        if (buffered[0] === 0x5a /* Z */) {
          state.done = true;
          return;
        }
        buffered = buffered.subarray(1 + length);
      }
    },
  };
  return state;
}

/**
 * The trips on the critical path of a request answered between `from` and `to`: the most trips that
 * started in that window and do not overlap (earliest-ending first), i.e. those one after another.
 * Trips that ran side by side count once; trips after the response (waitUntil) do not count.
 */
export function sequentialTrips(trips: readonly Trip[], from: number, to: number): number {
  let count = 0;
  let free = Number.NEGATIVE_INFINITY;
  for (const trip of trips.filter((t) => t.start >= from && t.start < to).sort((a, b) => a.end - b.end)) {
    if (trip.start >= free) {
      count++;
      free = trip.end;
    }
  }
  return count;
}
