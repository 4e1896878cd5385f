import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient, SERVICE_NAME } from '../../site/lib/api';
import type { Auth } from '../../site/lib/auth';
import { defaultPreferences, type FakeApi, startFakeApi } from './support/fake-api';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

const authAs = (userId: string | null): Auth => ({
  headers: async () => (userId ? { 'X-Dev-User': userId } : null),
  signIn: () => {},
  signOut: async () => {},
});

describe('site API client', () => {
  let api: FakeApi;
  beforeEach(async () => {
    api = await startFakeApi();
  });
  afterEach(() => api.close());

  const client = (userId: string | null = 'user_test', onSignedOut = () => {}) =>
    createApiClient({ baseUrl: api.url, auth: authAs(userId), onSignedOut });

  it('names the service, sends a fresh traceparent per request and the signed-in user', async () => {
    const c = client();
    await c.me();
    await c.me();
    const [first, second] = api.requests;
    expect(first!.headers['x-service-name']).toBe(SERVICE_NAME);
    expect(first!.headers['x-dev-user']).toBe('user_test');
    expect(first!.headers.traceparent).toMatch(TRACEPARENT);
    expect(second!.headers.traceparent).toMatch(TRACEPARENT);
    expect(second!.headers.traceparent).not.toBe(first!.headers.traceparent);
  });

  it('returns the typed body of a success', async () => {
    const me = await client().me();
    expect(me.tenant.name).toBe('Analytical Engines');
    expect(me.tenant.trial).toEqual({ active: true, days_left: 9 });
  });

  it('saves preferences with If-Match of the version it read', async () => {
    const c = client();
    const read = await c.preferences();
    const saved = await c.savePreferences({ ...read.preferences, default_bpm: 128 }, read.version);
    const put = api.requests.find((r) => r.method === 'PUT')!;
    expect(put.headers['if-match']).toBe(`"${read.version}"`);
    expect(put.body).toEqual({ preferences: { ...defaultPreferences(), default_bpm: 128 } });
    expect(saved.version).toBe(read.version + 1);
  });

  it("turns the API's error envelope into an ApiError with the request id", async () => {
    const c = client();
    const read = await c.preferences();
    await c.savePreferences(read.preferences, read.version);
    const stale = await c.savePreferences(read.preferences, read.version).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ApiError);
    expect(stale).toMatchObject({ status: 412, code: 'precondition_failed' });
    expect((stale as ApiError).requestId).toMatch(/^req-\d+$/);
    expect((stale as ApiError).traceId).toBe('a'.repeat(32));
  });

  it('reports a non-JSON failure with the X-Request-ID header and the trace it sent', async () => {
    api.replyOnce('/v1/me', { status: 502, body: '<h1>Bad gateway</h1>', headers: { 'X-Request-ID': 'edge-1' } });
    const error = (await client()
      .me()
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ status: 502, code: 'http_error', requestId: 'edge-1' });
    expect(error.message).toMatch(/502/);
    const sent = String(api.requests[0]!.headers.traceparent);
    expect(error.traceId).toBe(sent.split('-')[1]);
  });

  it.each([
    ['/readyz', 503, (c: ReturnType<typeof client>) => c.readiness()],
    ['/v1/me', 200, (c: ReturnType<typeof client>) => c.me()],
  ])('reports a non-JSON %s %i it accepts as http_error with the X-Request-ID header', async (path, status, call) => {
    api.replyOnce(path, { status, body: '<h1>Service unavailable</h1>', headers: { 'X-Request-ID': 'edge-2' } });
    const error = (await call(client()).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status, code: 'http_error', requestId: 'edge-2' });
    expect(error.traceId).toBe(String(api.requests[0]!.headers.traceparent).split('-')[1]);
  });

  it('reports a failing auth provider as auth_unavailable without calling the API', async () => {
    const onSignedOut = vi.fn();
    const broken: Auth = { ...authAs('user_test'), headers: () => Promise.reject(new Error('Clerk did not load')) };
    const error = (await createApiClient({ baseUrl: api.url, auth: broken, onSignedOut })
      .me()
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 0, code: 'auth_unavailable' });
    expect((error.cause as Error).message).toBe('Clerk did not load');
    expect(onSignedOut).not.toHaveBeenCalled();
    expect(api.requests).toHaveLength(0);
  });

  it('reports an unreachable API as status 0, not as a crash', async () => {
    await api.close();
    const error = (await client()
      .readiness()
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 0, code: 'network_error' });
    expect(error.message).toContain(api.url);
  });

  it('treats a 503 from /readyz as an answer, not a failure', async () => {
    api.state.readiness = {
      ...api.state.readiness,
      status: 'unavailable',
      checks: { database: { status: 'down', reason: 'unavailable' }, redis: { status: 'disabled' } },
    };
    const readiness = await client().readiness();
    expect(readiness.status).toBe('unavailable');
    expect(api.requests[0]!.headers['x-dev-user']).toBeUndefined();
  });

  it('sends signed-out users to sign in: on a 401 and without calling when there is no session', async () => {
    const onSignedOut = vi.fn();
    await expect(client('user_someone_else', onSignedOut).me()).rejects.toMatchObject({ status: 401 });
    expect(onSignedOut).toHaveBeenCalledTimes(1);

    const before = api.requests.length;
    await expect(client(null, onSignedOut).me()).rejects.toMatchObject({ status: 401, code: 'signed_out' });
    expect(onSignedOut).toHaveBeenCalledTimes(2);
    expect(api.requests.length).toBe(before);
  });
});
