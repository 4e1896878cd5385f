/**
 * The bad-input corpus: requests every /v1 endpoint must refuse with a 4xx JSON error (never a 5xx,
 * never a partial write). Built from small generators so each family is easy to extend.
 */
/** `claims`: a validly signed token of the corpus's admin with these claims added (or overriding). */
export type AuthMode = 'valid' | 'none' | { header: string } | { claims: Record<string, unknown> };

export interface Case {
  name: string;
  method: string;
  path: string;
  auth: AuthMode;
  headers?: Record<string, string>;
  /** A string is sent verbatim (malformed JSON, wrong encodings); anything else is JSON.stringify'd. */
  body?: unknown;
  /** Expected status, or the family when several are defensible (e.g. 400 or 422). */
  expect: number | '4xx';
}

const JSON_TYPE = { 'Content-Type': 'application/json' };
const ENDPOINTS: [string, string][] = [
  ['GET', '/v1/me'],
  ['GET', '/v1/tenant'],
  ['PATCH', '/v1/tenant'],
  ['GET', '/v1/users'],
  ['GET', '/v1/users/00000000-0000-4000-8000-000000000000'],
  ['GET', '/v1/preferences'],
  ['PUT', '/v1/preferences'],
  ['PATCH', '/v1/preferences'],
];
const WRITES: [string, string][] = [
  ['PUT', '/v1/preferences'],
  ['PATCH', '/v1/preferences'],
  ['PATCH', '/v1/tenant'],
];

const BAD_AUTH: [string, AuthMode][] = [
  ['no credentials', 'none'],
  ['empty bearer', { header: 'Bearer ' }],
  ['basic scheme', { header: 'Basic YWRtaW46YWRtaW4=' }],
  ['garbage token', { header: 'Bearer not-a-jwt' }],
  ['three empty segments', { header: 'Bearer ..' }],
  ['sql in token', { header: "Bearer ' OR '1'='1" }],
  ['oversized token', { header: `Bearer ${'a'.repeat(9_000)}` }],
  ['two tokens', { header: 'Bearer a.b.c Bearer d.e.f' }],
];

/** Signed by the trusted key, yet not a caller to serve: refused before anything is provisioned. */
const SIGNED_BUT_REFUSED: [string, Record<string, unknown>, number][] = [
  ['pending session', { sts: 'pending' }, 401],
  ['ended session', { sts: 'ended' }, 401],
  ['tenant_id of the nil uuid', { tenant_id: '00000000-0000-0000-0000-000000000000' }, 403],
  ['tenant_id of another tenant', { tenant_id: '3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b' }, 403],
  ['tenant_id not a uuid', { tenant_id: "x' or 1=1" }, 403],
];

/** Media types each write does not declare in /openapi.json: refused (415) before the body is read. */
const UNDECLARED_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/json; charset=iso-8859-1',
];
const DECLARED_TYPES: Record<string, string[]> = {
  'PATCH /v1/preferences': ['application/json', 'application/merge-patch+json'],
};

const MALFORMED_JSON = [
  '{',
  '{"theme":',
  '[',
  'nul',
  '{"theme":"dark",}',
  "{'theme':'dark'}",
  '{"theme":"dark"}{"theme":"light"}',
  '{"theme":"dark"',
  '\u0000',
  '{"theme":"\\x41"}',
  '{"theme":"\\uZZZZ"}',
  '{"a":1e}',
];

const BAD_UUIDS = [
  'not-a-uuid',
  '123',
  '00000000-0000-0000-0000-00000000000',
  '00000000-0000-0000-0000-0000000000000',
  'g0000000-0000-4000-8000-000000000000',
  "1'; drop table users; --",
  '%00',
  '..%2F..%2Fetc%2Fpasswd',
  '00000000000040008000000000000000',
  '{00000000-0000-4000-8000-000000000000}',
  ' 00000000-0000-4000-8000-000000000000',
  '%E2%80%AE',
];

const IF_MATCH = ['1', 'W/"1"', '"-1"', '"x"', '"1", "2"', '""', '"1', `"${'9'.repeat(12)}"`, '**', '"1"x'];

const nest = (depth: number): unknown => (depth === 0 ? true : { n: nest(depth - 1) });

/** Preferences documents (the value of `preferences` for PUT; the patch itself for PATCH). */
const BAD_PREFERENCES: [string, unknown][] = [
  ['theme as number', { theme: 1 }],
  ['theme as bool', { theme: true }],
  ['theme as array', { theme: ['dark'] }],
  ['theme as object', { theme: { value: 'dark' } }],
  ['unknown theme', { theme: 'neon' }],
  ['theme with NUL', { theme: 'dark\u0000' }],
  ['locale too long', { locale: `en-${'x'.repeat(40)}` }],
  ['locale junk', { locale: 'english please' }],
  ['locale sql', { locale: "en'; drop table tenants; --" }],
  ['timezone unknown', { timezone: 'Atlantis/Capital' }],
  ['timezone path', { timezone: '../../etc/passwd' }],
  ['timezone number', { timezone: 3 }],
  ['genre too long', { default_genre: 'x'.repeat(65) }],
  ['genre empty', { default_genre: '   ' }],
  ['genre NUL', { default_genre: 'ro\u0000ck' }],
  ['genre control chars', { default_genre: 'ro\u001bck' }],
  ['genre lone surrogate', { default_genre: 'ro\ud800ck' }],
  ['genre number', { default_genre: 42 }],
  ['bpm negative', { default_bpm: -1 }],
  ['bpm zero', { default_bpm: 0 }],
  ['bpm too high', { default_bpm: 301 }],
  ['bpm fraction', { default_bpm: 99.5 }],
  ['bpm huge', { default_bpm: 2 ** 53 + 2 }],
  ['bpm string', { default_bpm: '120' }],
  ['bpm exponent', { default_bpm: 1e308 }],
  ['explicit as string', { explicit_content: 'true' }],
  ['explicit as number', { explicit_content: 1 }],
  ['notifications as array', { notifications: [] }],
  ['notifications as string', { notifications: 'all' }],
  ['notification unknown key', { notifications: { sms: true } }],
  ['notification as string', { notifications: { email: 'yes' } }],
  ['deep nesting', { notifications: nest(200) }],
  ['unknown key', { volume: 11 }],
  ['many unknown keys', Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]))],
  ['__proto__ key', JSON.parse('{"__proto__":{"isAdmin":true}}')],
  ['constructor.prototype', { constructor: { prototype: { isAdmin: true } } }],
  ['nested __proto__', JSON.parse('{"notifications":{"__proto__":{"email":false}}}')],
  ['toString key', { toString: 'x' }],
  ['array document', [1, 2, 3]],
  ['string document', 'dark'],
  ['number document', 7],
];

const BAD_TENANT_BODIES: [string, unknown][] = [
  ['name missing', {}],
  ['name empty', { name: '' }],
  ['name blank', { name: '    ' }],
  ['name too long', { name: 'n'.repeat(201) }],
  ['name number', { name: 7 }],
  ['name null', { name: null }],
  ['name NUL', { name: 'a\u0000b' }],
  ['name newline', { name: 'a\nb' }],
  ['name lone surrogate', { name: '\udfff' }],
  ['extra field', { name: 'ok', plan: 'enterprise' }],
  ['status escalation', { name: 'ok', status: 'active', trial_ends_at: '2999-01-01' }],
  ['__proto__', JSON.parse('{"name":"ok","__proto__":{"role":"admin"}}')],
  ['array', ['name']],
];

export function buildCorpus(): Case[] {
  const cases: Case[] = [];

  for (const [method, path] of ENDPOINTS) {
    for (const [label, auth] of BAD_AUTH) {
      cases.push({
        name: `${method} ${path}: ${label}`,
        method,
        path,
        auth,
        headers: JSON_TYPE,
        body: {},
        expect: 401,
      });
    }
  }

  for (const [method, path] of WRITES) {
    for (const raw of MALFORMED_JSON) {
      cases.push({
        name: `${method} ${path}: malformed ${JSON.stringify(raw)}`,
        method,
        path,
        auth: 'valid',
        headers: JSON_TYPE,
        body: raw,
        expect: '4xx',
      });
    }
    for (const type of [
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      'application/jsonx',
      '',
    ]) {
      cases.push({
        name: `${method} ${path}: content-type ${JSON.stringify(type)}`,
        method,
        path,
        auth: 'valid',
        headers: type ? { 'Content-Type': type } : {},
        body: '{"theme":"dark","name":"x"}',
        expect: '4xx',
      });
    }
    cases.push({
      name: `${method} ${path}: empty body`,
      method,
      path,
      auth: 'valid',
      headers: JSON_TYPE,
      body: '',
      expect: '4xx',
    });
    cases.push({
      name: `${method} ${path}: 20 KB body`,
      method,
      path,
      auth: 'valid',
      headers: JSON_TYPE,
      body: { name: 'x'.repeat(20_000), theme: 'x'.repeat(20_000) },
      expect: 413,
    });
    cases.push({
      name: `${method} ${path}: 1 MB body`,
      method,
      path,
      auth: 'valid',
      headers: JSON_TYPE,
      body: 'x'.repeat(1_000_000),
      expect: 413,
    });
    cases.push({
      name: `${method} ${path}: duplicate keys, invalid last`,
      method,
      path,
      auth: 'valid',
      headers: JSON_TYPE,
      body: '{"name":"ok","theme":"dark","name":7,"theme":7}',
      expect: 422,
    });
  }

  for (const [label, doc] of BAD_PREFERENCES) {
    cases.push({
      name: `PUT preferences: ${label}`,
      method: 'PUT',
      path: '/v1/preferences',
      auth: 'valid',
      headers: JSON_TYPE,
      body: { preferences: doc },
      expect: 422,
    });
    cases.push({
      name: `PATCH preferences: ${label}`,
      method: 'PATCH',
      path: '/v1/preferences',
      auth: 'valid',
      headers: JSON_TYPE,
      // A JSON string is a valid body but not a patch: encode it, or it would be sent as raw text.
      body: typeof doc === 'string' ? JSON.stringify(doc) : doc,
      expect: 422,
    });
  }
  for (const [label, body] of [
    ['missing preferences', {}],
    ['preferences null', { preferences: null }],
    ['extra top-level', { preferences: {}, version: 99 }],
    ['tenant smuggling', { preferences: {}, tenant_id: '00000000-0000-4000-8000-000000000000' }],
  ] as [string, unknown][]) {
    cases.push({
      name: `PUT preferences: ${label}`,
      method: 'PUT',
      path: '/v1/preferences',
      auth: 'valid',
      headers: JSON_TYPE,
      body,
      expect: 422,
    });
  }
  cases.push({
    name: 'PATCH preferences: empty patch',
    method: 'PATCH',
    path: '/v1/preferences',
    auth: 'valid',
    headers: JSON_TYPE,
    body: {},
    expect: 422,
  });

  for (const [label, body] of BAD_TENANT_BODIES) {
    cases.push({
      name: `PATCH tenant: ${label}`,
      method: 'PATCH',
      path: '/v1/tenant',
      auth: 'valid',
      headers: JSON_TYPE,
      body,
      expect: 422,
    });
  }

  for (const id of BAD_UUIDS) {
    cases.push({
      name: `GET user id ${JSON.stringify(id)}`,
      method: 'GET',
      path: `/v1/users/${id}`,
      auth: 'valid',
      expect: '4xx',
    });
  }
  cases.push({
    name: 'GET unknown user id',
    method: 'GET',
    path: '/v1/users/00000000-0000-4000-8000-000000000000',
    auth: 'valid',
    expect: 404,
  });

  for (const value of IF_MATCH) {
    for (const method of ['PUT', 'PATCH']) {
      const body = method === 'PUT' ? { preferences: { theme: 'dark' } } : { theme: 'dark' };
      cases.push({
        name: `${method} preferences: If-Match ${JSON.stringify(value)}`,
        method,
        path: '/v1/preferences',
        auth: 'valid',
        headers: { ...JSON_TYPE, 'If-Match': value },
        body,
        expect: 400,
      });
    }
  }
  for (const stale of ['"0"', '"7"', '"999999999"']) {
    cases.push({
      name: `PATCH preferences: stale If-Match ${stale}`,
      method: 'PATCH',
      path: '/v1/preferences',
      auth: 'valid',
      headers: { ...JSON_TYPE, 'If-Match': stale },
      body: { theme: 'light' },
      expect: 412,
    });
  }

  // Hostile tracing/correlation headers never turn a rejection into a crash, nor a crash into success.
  for (const [header, value] of [
    ['traceparent', 'not-a-traceparent'],
    ['traceparent', '00-00000000000000000000000000000000-0000000000000000-01'],
    ['traceparent', `00-${'f'.repeat(32)}-${'f'.repeat(16)}-ff`],
    ['traceparent', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['traceparent', 'x'.repeat(4_096)],
    ['tracestate', '=,=,=,'.repeat(500)],
    ['X-Correlation-ID', '"><script>alert(1)</script>'],
    ['X-Correlation-ID', 'a'.repeat(4_096)],
    ['X-Correlation-ID', '{"level":"error","message":"forged"}'],
    ['X-Request-ID', "'; drop table users; --"],
  ] as [string, string][]) {
    cases.push({
      name: `PATCH preferences invalid body with ${header}=${value.slice(0, 40)}`,
      method: 'PATCH',
      path: '/v1/preferences',
      auth: 'valid',
      headers: { ...JSON_TYPE, [header]: value },
      body: { theme: 'neon' },
      expect: 422,
    });
  }

  for (const [method, path] of [
    ['DELETE', '/v1/preferences'],
    ['POST', '/v1/preferences'],
    ['DELETE', '/v1/tenant'],
    ['PUT', '/v1/me'],
    ['GET', '/v1/nope'],
    ['GET', '/v1/users/00000000-0000-4000-8000-000000000000/extra'],
  ] as [string, string][]) {
    cases.push({
      name: `${method} ${path}: no such route`,
      method,
      path,
      auth: 'valid',
      headers: JSON_TYPE,
      body: {},
      expect: 404,
    });
  }

  for (const [method, path] of ENDPOINTS) {
    for (const [label, claims, status] of SIGNED_BUT_REFUSED) {
      cases.push({
        name: `${method} ${path}: ${label}`,
        method,
        path,
        auth: { claims },
        headers: JSON_TYPE,
        body: {},
        expect: status,
      });
    }
  }

  for (const [method, path] of WRITES) {
    const declared = DECLARED_TYPES[`${method} ${path}`] ?? ['application/json'];
    for (const type of UNDECLARED_TYPES.filter((t) => !declared.includes(t))) {
      cases.push({
        name: `${method} ${path}: undeclared media type ${type}`,
        method,
        path,
        auth: 'valid',
        headers: { 'Content-Type': type },
        body: { theme: 'dark', name: 'Renamed', preferences: { theme: 'dark' } },
        expect: 415,
      });
    }
  }

  for (const [label, headers, body] of [
    ['no svix headers', JSON_TYPE, { type: 'organization.created', data: { id: 'org_x', name: 'X' } }],
    [
      'forged signature',
      {
        ...JSON_TYPE,
        'svix-id': 'msg_1',
        'svix-timestamp': String(Math.floor(Date.now() / 1000)),
        'svix-signature': 'v1,AAAA',
      },
      { type: 'user.deleted', data: { id: 'user_x' } },
    ],
    [
      'stale timestamp',
      { ...JSON_TYPE, 'svix-id': 'msg_2', 'svix-timestamp': '1', 'svix-signature': 'v1,AAAA' },
      { type: 'user.deleted', data: { id: 'user_x' } },
    ],
    ['garbage body', { ...JSON_TYPE, 'svix-id': 'msg_3', 'svix-timestamp': 'now', 'svix-signature': 'x' }, '{{{{'],
  ] as [string, Record<string, string>, unknown][]) {
    cases.push({
      name: `POST webhooks: ${label}`,
      method: 'POST',
      path: '/v1/webhooks/clerk',
      auth: 'none',
      headers,
      body,
      expect: 401,
    });
  }

  return cases;
}
