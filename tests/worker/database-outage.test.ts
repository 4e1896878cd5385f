import { afterAll, describe, expect, inject, it } from 'vitest';
import { apiWithVars, type ErrorBody } from '../support/api';
import { caller, clerkId } from '../support/tokens';

/** The Worker as deployed, but its Hyperdrive points through a proxy the test can take down. */
const api = apiWithVars({ HYPERDRIVE: { connectionString: inject('outageAppDatabaseUrl') } });
const control = (action: 'stop' | 'start') =>
  fetch(`${inject('postgresControlUrl')}/postgres/${action}`, { method: 'POST' }).then((r) =>
    expect(r.status).toBe(204),
  );

afterAll(() => control('start'));

describe('Postgres outage', () => {
  it('gives 503 database_unavailable on /v1, keeps /healthz up, fails /readyz, and recovers without restart', async () => {
    const known = caller({ org: { id: clerkId('org') } });
    const fresh = caller({ org: { id: clerkId('org') } });
    expect((await api('/v1/me', { headers: await known.headers() })).status).toBe(200);

    await control('stop');
    for (const who of [known, fresh]) {
      const res = await api('/v1/me', { headers: await who.headers() });
      expect(res.status).toBe(503);
      const body = await res.json<ErrorBody>();
      expect(body.error.code).toBe('database_unavailable');
      expect(body.error.request_id).toBe(res.headers.get('X-Request-ID'));
    }
    const write = await api('/v1/preferences', {
      method: 'PATCH',
      body: JSON.stringify({ theme: 'dark' }),
      headers: await known.headers({ 'Content-Type': 'application/json' }),
    });
    expect(write.status).toBe(503);
    expect((await api('/healthz')).status).toBe(200);
    const ready = await api('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', checks: { database: { status: 'down' } } });

    await control('start');
    expect((await api('/readyz')).status).toBe(200);
    expect((await api('/v1/me', { headers: await fresh.headers() })).status).toBe(200);
    const patched = await api('/v1/preferences', {
      method: 'PATCH',
      body: JSON.stringify({ theme: 'dark' }),
      headers: await known.headers({ 'Content-Type': 'application/json' }),
    });
    expect(patched.status).toBe(200);
  });
});
