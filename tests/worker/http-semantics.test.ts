import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onError } from '../../worker/error-handler';
import { mediaType } from '../../worker/middleware/media-type';
import { api, type ErrorBody } from '../support/api';
import { ownerSqlInWorker } from '../support/owner-sql';
import { caller } from '../support/tokens';

/**
 * Driven by the API's own OpenAPI document: a route added later is covered without editing this file.
 */
type Operation = { security?: unknown[]; requestBody?: { content: Record<string, unknown> } };
type Spec = { paths: Record<string, Record<string, Operation>> };

const owner = ownerSqlInWorker();
afterAll(() => owner.end());

// A personal workspace: its user is the tenant's admin, so every write would be allowed.
const admin = caller();
let spec: Spec;
let userId: string;
let tenantId: string;

beforeAll(async () => {
  spec = await (await api('/openapi.json')).json<Spec>();
  const me = await (await api('/v1/me', { headers: await admin.headers() })).json<{
    user: { id: string };
    tenant: { id: string };
  }>();
  userId = me.user.id;
  tenantId = me.tenant.id;
});

function operations() {
  return Object.entries(spec.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      url: path.replace('{id}', userId),
      op,
      authenticated: (op.security ?? []).length > 0,
    })),
  );
}

/** A body each known write would accept and apply; `{}` for anything new. */
const WRITES: Record<string, unknown> = {
  'PATCH /v1/tenant': { name: 'Renamed by a stray media type' },
  'PUT /v1/preferences': { preferences: { theme: 'dark' } },
  'PATCH /v1/preferences': { theme: 'dark' },
};

const UNDECLARED = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/json; charset=iso-8859-1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
];

async function snapshot() {
  const [row] = await owner`
    select t.name, t.updated_at, (select count(*)::int from user_preferences where tenant_id = t.id) as prefs
    from tenants t where t.id = ${tenantId}`;
  return row;
}

describe('request media types (every operation, from /openapi.json)', () => {
  it('the document lists operations with request bodies to check', () => {
    expect(operations().filter((o) => o.op.requestBody).length).toBeGreaterThanOrEqual(4);
  });

  it('a type the operation does not declare is 415 with the accepted types, and writes nothing', async () => {
    const before = await snapshot();
    for (const { method, path, url, op } of operations()) {
      if (!op.requestBody) continue;
      const declared = Object.keys(op.requestBody.content);
      const body = JSON.stringify(WRITES[`${method} ${path}`] ?? {});
      for (const type of UNDECLARED.filter((t) => !declared.includes(t))) {
        const res = await api(url, { method, body, headers: await admin.headers({ 'Content-Type': type }) });
        expect(res.status, `${method} ${path} as ${type}`).toBe(415);
        const { error } = await res.json<ErrorBody>();
        expect(error.code).toBe('unsupported_media_type');
        expect(error.request_id).toMatch(/.+/);
      }
      // No Content-Type at all (a byte body gets none) is not a guess at JSON either.
      const bare = await api(url, { method, body: new TextEncoder().encode(body), headers: await admin.headers() });
      expect(bare.status, `${method} ${path} without a type`).toBe(415);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('every declared type is accepted (not 415)', async () => {
    for (const { method, path, url, op } of operations()) {
      if (!op.requestBody) continue;
      for (const type of Object.keys(op.requestBody.content)) {
        const body = JSON.stringify(WRITES[`${method} ${path}`] ?? {});
        const res = await api(url, { method, body, headers: await admin.headers({ 'Content-Type': type }) });
        expect(res.status, `${method} ${path} as ${type}`).not.toBe(415);
      }
    }
  });
});

describe('cache directives on authenticated responses (every operation, from /openapi.json)', () => {
  const isPrivate = (res: Response) => {
    const directives = (res.headers.get('Cache-Control') ?? '').split(/\s*,\s*/);
    const vary = (res.headers.get('Vary') ?? '').toLowerCase().split(/\s*,\s*/);
    return {
      private: directives.includes('private'),
      // no-cache only where revalidation is meant, which needs a validator.
      stored: directives.includes('no-store') || (directives.includes('no-cache') && res.headers.has('ETag')),
      vary: vary.includes('authorization') && vary.includes('cookie'),
    };
  };
  const expected = { private: true, stored: true, vary: true };

  it('GET and HEAD answers (names, emails, preferences) are private and never stored by a shared cache', async () => {
    const reads = operations().filter((o) => o.authenticated && o.method === 'GET');
    expect(reads.length).toBeGreaterThanOrEqual(5);
    for (const { path, url } of reads) {
      for (const method of ['GET', 'HEAD']) {
        const res = await api(url, { method, headers: await admin.headers() });
        expect(res.status, `${method} ${path}`).toBe(200);
        expect(isPrivate(res), `${method} ${path}`).toEqual(expected);
      }
    }
  });

  it('errors are private too: 401 without a token, 415 and 422 on writes', async () => {
    for (const { method, path, url, op } of operations().filter((o) => o.authenticated)) {
      const unauthenticated = await api(url, { method });
      expect(unauthenticated.status, `${method} ${path}`).toBe(401);
      expect(isPrivate(unauthenticated), `${method} ${path} (401)`).toEqual(expected);
      if (!op.requestBody) continue;
      const wrongType = await api(url, {
        method,
        body: 'x',
        headers: await admin.headers({ 'Content-Type': 'text/plain' }),
      });
      expect(isPrivate(wrongType), `${method} ${path} (415)`).toEqual(expected);
      const invalid = await api(url, {
        method,
        body: JSON.stringify({ unknown_field: true }),
        headers: await admin.headers({ 'Content-Type': Object.keys(op.requestBody.content)[0] ?? 'application/json' }),
      });
      expect(invalid.status, `${method} ${path}`).toBe(422);
      expect(isPrivate(invalid), `${method} ${path} (422)`).toEqual(expected);
    }
  });
});

describe('the media-type middleware on its own', () => {
  const app = new Hono()
    .use(
      mediaType({ declared: (method, path) => (method === 'POST' && path === '/items/{id}/touch' ? [] : undefined) }),
    )
    .post('/items/:id/touch', (c) => c.text('touched'))
    .post('/undocumented', (c) => c.text('ok'));
  app.onError(onError as never);

  it('an operation that declares no body refuses one (415) and serves a request without', async () => {
    const withBody = await app.request('/items/1/touch', {
      method: 'POST',
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(withBody.status).toBe(415);
    expect((await app.request('/items/1/touch', { method: 'POST' })).status).toBe(200);
  });

  it('leaves routes the document does not describe to their handlers', async () => {
    expect((await app.request('/undocumented', { method: 'POST', body: 'x' })).status).toBe(200);
  });
});
