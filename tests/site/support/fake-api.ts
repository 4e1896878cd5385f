import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Me, Preferences, Readiness } from '../../../site/lib/api';
import { DEFAULT_PREFERENCES } from '../../../worker/preferences/schema';

/**
 * A small HTTP server that speaks the API's contract (docs in the site brief: /readyz, /v1/me,
 * /v1/preferences with ETag/If-Match), so islands run their real client over real HTTP. The Worker
 * itself is exercised by tests/e2e.
 */

export type Recorded = { method: string; path: string; headers: IncomingHttpHeaders; body: unknown };
type Reply = { status: number; body: unknown; headers?: Record<string, string> };

/** The API's own defaults, so the fake cannot drift from the contract. */
export const defaultPreferences = (): Preferences => structuredClone(DEFAULT_PREFERENCES);

export const sampleMe = (): Me => ({
  user: { id: 'u-1', clerk_user_id: 'user_test', email: 'ada@example.test', name: 'Ada Lovelace', role: 'admin' },
  tenant: {
    id: 't-1',
    name: 'Analytical Engines',
    slug: 'analytical-engines',
    plan: 'trial',
    status: 'active',
    trial_ends_at: new Date(Date.now() + 9 * 86_400_000).toISOString(),
    trial: { active: true, days_left: 9 },
  },
});

export const sampleReadiness = (): Readiness => ({
  status: 'ready',
  checks: { database: { status: 'up', latency_ms: 3 }, redis: { status: 'up', latency_ms: 1 } },
  features: { vector: 'unavailable' },
});

let seq = 0;
const error = (status: number, code: string, message: string, details?: unknown): Reply => {
  const requestId = `req-${++seq}`;
  return {
    status,
    headers: { 'X-Request-ID': requestId },
    body: { error: { code, message, request_id: requestId, trace_id: 'a'.repeat(32), details } },
  };
};

export async function startFakeApi() {
  const state = {
    me: sampleMe(),
    preferences: defaultPreferences(),
    version: 1,
    updatedAt: '2026-11-20T10:00:00.000Z',
    readiness: sampleReadiness(),
    /** Replies queued for the next requests to a path, ahead of the normal behaviour. */
    overrides: new Map<string, Reply[]>(),
  };
  const requests: Recorded[] = [];

  const prefsReply = (status = 200): Reply => ({
    status,
    headers: { ETag: `"${state.version}"` },
    body: { preferences: state.preferences, version: state.version, updated_at: state.updatedAt },
  });

  function route(method: string, path: string, headers: IncomingHttpHeaders, body: unknown): Reply {
    const queued = state.overrides.get(path)?.shift();
    if (queued) return queued;
    if (path === '/readyz') return { status: state.readiness.status === 'ready' ? 200 : 503, body: state.readiness };
    if (!path.startsWith('/v1/')) return error(404, 'not_found', `No route for ${method} ${path}`);
    if (headers['x-dev-user'] !== state.me.user.clerk_user_id) return error(401, 'unauthorized', 'Sign in first');
    if (method === 'GET' && path === '/v1/me') return { status: 200, body: state.me };
    if (method === 'GET' && path === '/v1/preferences') return prefsReply();
    if (method === 'PUT' && path === '/v1/preferences') {
      if (headers['if-match'] !== `"${state.version}"`) {
        return error(412, 'precondition_failed', 'The preferences changed since you read them');
      }
      state.preferences = (body as { preferences: Preferences }).preferences;
      state.version += 1;
      state.updatedAt = new Date().toISOString();
      return prefsReply();
    }
    return error(404, 'not_found', `No route for ${method} ${path}`);
  }

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const body = text ? JSON.parse(text) : undefined;
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
    const reply = route(req.method ?? 'GET', path, req.headers, body);
    const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'Content-Type': typeof reply.body === 'string' ? 'text/html' : 'application/json',
      ...reply.headers,
    });
    res.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    requests,
    /** The next request to `path` gets this reply instead. */
    replyOnce(path: string, reply: Reply) {
      state.overrides.set(path, [...(state.overrides.get(path) ?? []), reply]);
    },
    error,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeApi = Awaited<ReturnType<typeof startFakeApi>>;
