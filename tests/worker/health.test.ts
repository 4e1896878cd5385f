import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

const get = (path: string, init?: RequestInit) => exports.default.fetch(`http://api.test${path}`, init);

describe('health and metadata', () => {
  it('GET /healthz answers ok without touching a dependency', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET / describes the service', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      message: 'MeatyMusic AMCS API',
      description: 'Agentic Music Creation System',
      service: 'meatymusic-api',
      version: '0.1.0',
    });
  });

  it('GET /readyz reports the database up through Hyperdrive, with latency', async () => {
    const res = await get('/readyz');
    const body = await res.json<{ status: string; checks: { database: { status: string; latency_ms: number } } }>();
    expect(res.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.database.status).toBe('up');
    expect(body.checks.database.latency_ms).toBeGreaterThanOrEqual(0);
  });
});

describe('request ids', () => {
  it('every response carries a fresh X-Request-ID', async () => {
    const [a, b] = await Promise.all([get('/healthz'), get('/nope')]);
    const ids = [a.headers.get('X-Request-ID'), b.headers.get('X-Request-ID')];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('ignores a caller-supplied X-Request-ID but keeps a well-formed X-Correlation-ID', async () => {
    const res = await get('/', { headers: { 'X-Request-ID': 'mine', 'X-Correlation-ID': 'flow-42.a:b' } });
    expect(res.headers.get('X-Request-ID')).not.toBe('mine');
    expect(res.headers.get('X-Correlation-ID')).toBe('flow-42.a:b');
  });

  it('replaces a correlation id that could forge log lines or is too long', async () => {
    for (const bad of ['a"b', 'x'.repeat(129), 'semi;colon', ' ']) {
      const res = await get('/', { headers: { 'X-Correlation-ID': bad } });
      expect(res.headers.get('X-Correlation-ID')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('errors', () => {
  it('an unknown route is a JSON 404 carrying the request id', async () => {
    const res = await get('/no/such/route');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = await res.json<{ error: { code: string; request_id: string; message: string } }>();
    expect(body.error.code).toBe('not_found');
    expect(body.error.message).toContain('/no/such/route');
    expect(body.error.request_id).toBe(res.headers.get('X-Request-ID'));
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    get('/', { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT' } });

  it('allows a listed origin with credentials, echoing it (never *)', async () => {
    const res = await preflight('http://localhost:4321');
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('http://localhost:4321');
    expect(res.headers.get('Access-Control-Allow-Credentials')).toBe('true');
  });

  it('gives an unlisted origin no CORS grant', async () => {
    const res = await preflight('https://evil.example');
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});
