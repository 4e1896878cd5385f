import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sequentialTrips, startTripProxy, type TripProxy } from '../../bench/lib/trip-proxy';

// The WAN bench's figures are these counts: checked against exchanges whose shape is known.
const DELAY_MS = 15;
let http: Server;
let httpPort: number;

beforeAll(async () => {
  // Answers after 5 ms, so that two requests sent together really overlap.
  http = createServer((_req, res) => setTimeout(() => res.end('ok'), 5));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpPort = (http.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => http.close(resolve)));

async function timed(run: () => Promise<unknown>) {
  const from = performance.now();
  await run();
  return { from, to: performance.now() };
}

/** A delaying proxy in front of the test's HTTP server, closed whatever `run` does. */
async function throughHttpProxy(run: (proxy: TripProxy) => Promise<void>) {
  const proxy = await startTripProxy({
    target: { host: '127.0.0.1', port: httpPort },
    delayMs: DELAY_MS,
    protocol: 'plain',
  });
  try {
    await run(proxy);
  } finally {
    await proxy.close();
  }
}

describe('trip-counting proxy', () => {
  it('counts two requests one after another as two sequential trips, each delayed both ways', async () => {
    await throughHttpProxy(async (proxy) => {
      const url = `http://127.0.0.1:${proxy.port}/`;
      const { from, to } = await timed(async () => {
        await (await fetch(url)).text();
        await (await fetch(url)).text();
      });
      expect(proxy.trips()).toHaveLength(2);
      expect(sequentialTrips(proxy.trips(), from, to)).toBe(2);
      expect(to - from).toBeGreaterThanOrEqual(2 * 2 * DELAY_MS);
    });
  });

  it('counts two overlapping requests as one sequential trip', async () => {
    await throughHttpProxy(async (proxy) => {
      const url = `http://127.0.0.1:${proxy.port}/`;
      const { from, to } = await timed(() =>
        Promise.all([fetch(url).then((r) => r.text()), fetch(url).then((r) => r.text())]),
      );
      expect(proxy.trips()).toHaveLength(2);
      expect(sequentialTrips(proxy.trips(), from, to)).toBe(1);
    });
  });

  it('leaves out trips that start after the response (work done in waitUntil)', () => {
    const trips = [
      { start: 0, end: 10 },
      { start: 10, end: 20 },
      { start: 25, end: 35 },
    ];
    expect(sequentialTrips(trips, 0, 22)).toBe(2);
  });

  it('does not count the Postgres startup handshake, and counts one flight per awaited statement after it', async () => {
    const url = new URL(inject('appDatabaseUrl'));
    const proxy = await startTripProxy({
      target: { host: url.hostname, port: Number(url.port || 5432) },
      delayMs: 0,
      protocol: 'postgres',
    });
    url.host = `127.0.0.1:${proxy.port}`;
    const sql = postgres(url.toString(), { max: 1, fetch_types: false, onnotice: () => {} });
    try {
      // A fresh connection: startup (and authentication) first, then the statements.
      const { from, to } = await timed(async () => {
        await sql`select 1`;
        await sql`select 2`;
      });
      expect(sequentialTrips(proxy.trips(), from, to)).toBe(2);
      proxy.clear();
      // Two statements pipelined on one connection travel together: one flight.
      const pipelined = await timed(() => Promise.all([sql`select 3`.execute(), sql`select 4`.execute()]));
      expect(sequentialTrips(proxy.trips(), pipelined.from, pipelined.to)).toBe(1);
    } finally {
      await sql.end();
      await proxy.close();
    }
  });
});
