/**
 * The bad-input corpus: requests every /v1 endpoint must refuse with a 4xx JSON error (never a 5xx,
 * never a partial write). Built from small generators so each family is easy to extend, and from the
 * API's OpenAPI document, so a route added later is fuzzed without an edit here.
 */
/** `claims`: a validly signed token of the corpus's admin with these claims added (or overriding). */
export type AuthMode = 'valid' | 'none' | { header: string } | { claims: Record<string, unknown> };

export interface Case {
  name: string;
  method: string;
  path: string;
  /** `METHOD /path/{param}` of the documented operation the case was enumerated from, if it was. */
  operation?: string;
  auth: AuthMode;
  headers?: Record<string, string>;
  /** A string is sent verbatim (malformed JSON, wrong encodings); anything else is JSON.stringify'd. */
  body?: unknown;
  /** Expected status, or the family when several are defensible (e.g. 400 or 422). */
  expect: number | '4xx';
}

/** What the corpus reads of an OpenAPI 3.1 document (/openapi.json). */
export type Spec = { paths: Record<string, Record<string, OperationObject>> };
type Parameter = { in: string; name: string; schema?: { type?: string; format?: string } };
type OperationObject = {
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, unknown> };
};

export interface Operation {
  /** `GET /v1/users/{id}`, as the document names it. */
  operation: string;
  method: string;
  path: string;
  /** The path with every parameter filled with a valid value. */
  url: string;
  /** Declares a security requirement: the caller's token is checked before anything else. */
  authenticated: boolean;
  /** The request body media types it declares; undefined when it takes no body. */
  bodyTypes?: string[];
  pathParameters: Parameter[];
}

const SAMPLE_ID = '00000000-0000-4000-8000-000000000000';
const METHODS = ['GET', 'PUT', 'PATCH', 'POST', 'DELETE'];

/** A valid value of a path parameter, so that a case fails for what it means to test, not for the id. */
const validValue = (p: Parameter | undefined) =>
  p?.schema?.format === 'uuid' ? SAMPLE_ID : p?.schema?.type === 'integer' ? '1' : 'x';

/** The path with its parameters filled: `overrides` by name, the others with valid values. */
function fill(path: string, params: Parameter[], overrides: Record<string, string> = {}) {
  return path.replace(
    /\{([^}]+)\}/g,
    (_, name: string) => overrides[name] ?? validValue(params.find((p) => p.name === name)),
  );
}

/** Whether `url` would match the path template (`/v1/users/{id}` matches `/v1/users/extra`). */
function sameShape(template: string, url: string) {
  const [t, u] = [template.split('/'), url.split('/')];
  return t.length === u.length && t.every((segment, i) => segment.startsWith('{') || segment === u[i]);
}

/** Every operation of the document, in its order. */
export function operations(spec: Spec): Operation[] {
  return Object.entries(spec.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const pathParameters = (op.parameters ?? []).filter((p) => p.in === 'path');
      return {
        operation: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        url: fill(path, pathParameters),
        authenticated: (op.security ?? []).length > 0,
        bodyTypes: op.requestBody ? Object.keys(op.requestBody.content) : undefined,
        pathParameters,
      };
    }),
  );
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

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

/** Media types a write may not declare in /openapi.json: refused (415) before the body is read. */
const UNDECLARED_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/json; charset=iso-8859-1',
];

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

/** Every case, for the operations of `spec` (the API's /openapi.json, or a test app's document). */
export function buildCorpus(spec: Spec): Case[] {
  const cases: Case[] = [];
  const ops = operations(spec);
  const add = (op: Operation, label: string, c: Omit<Case, 'name' | 'method' | 'operation'>) =>
    cases.push({ name: `${op.operation}: ${label}`, method: op.method, operation: op.operation, ...c });

  for (const op of ops.filter((o) => o.authenticated)) {
    for (const [label, auth] of BAD_AUTH) {
      add(op, label, { path: op.url, auth, headers: JSON_TYPE, body: {}, expect: 401 });
    }
    for (const [label, claims, status] of SIGNED_BUT_REFUSED) {
      add(op, label, { path: op.url, auth: { claims }, headers: JSON_TYPE, body: {}, expect: status });
    }
  }

  for (const op of ops.filter((o) => o.bodyTypes)) {
    // An operation without a security requirement is signed by its sender (Clerk's webhooks): with no
    // signature, every body is refused, with whichever 4xx comes first.
    const auth = op.authenticated ? 'valid' : 'none';
    const exactly = (status: number) => (op.authenticated ? status : '4xx');
    const write = (label: string, headers: Record<string, string>, body: unknown, expect: number | '4xx') =>
      add(op, label, { path: op.url, auth, headers, body, expect });
    for (const raw of MALFORMED_JSON) write(`malformed ${JSON.stringify(raw)}`, JSON_TYPE, raw, '4xx');
    for (const type of [
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      'application/jsonx',
      '',
    ]) {
      write(
        `content-type ${JSON.stringify(type)}`,
        type ? { 'Content-Type': type } : {},
        '{"theme":"dark","name":"x"}',
        '4xx',
      );
    }
    write('empty body', JSON_TYPE, '', '4xx');
    write('20 KB body', JSON_TYPE, { name: 'x'.repeat(20_000), theme: 'x'.repeat(20_000) }, exactly(413));
    write('1 MB body', JSON_TYPE, 'x'.repeat(1_000_000), 413);
    write('duplicate keys, invalid last', JSON_TYPE, '{"name":"ok","theme":"dark","name":7,"theme":7}', exactly(422));
    for (const type of UNDECLARED_TYPES.filter((t) => !op.bodyTypes?.includes(t))) {
      write(
        `undeclared media type ${type}`,
        { 'Content-Type': type },
        { theme: 'dark', name: 'Renamed', preferences: { theme: 'dark' } },
        415,
      );
    }
  }

  for (const op of ops) {
    for (const param of op.pathParameters.filter((p) => p.schema?.format === 'uuid')) {
      for (const id of BAD_UUIDS) {
        add(op, `${param.name} ${JSON.stringify(id)}`, {
          path: fill(op.path, op.pathParameters, { [param.name]: id }),
          auth: 'valid',
          expect: '4xx',
        });
      }
      // A well-formed id of nothing the caller can see: not found, whoever's it might be.
      if (op.method === 'GET') add(op, `unknown ${param.name}`, { path: op.url, auth: 'valid', expect: 404 });
    }
  }

  // A signed-in caller's JSON body the route must refuse with 422.
  const refused = (name: string, method: string, path: string, body: unknown): Case => ({
    name,
    method,
    path,
    auth: 'valid',
    headers: JSON_TYPE,
    body,
    expect: 422,
  });
  for (const [label, doc] of BAD_PREFERENCES) {
    cases.push(refused(`PUT preferences: ${label}`, 'PUT', '/v1/preferences', { preferences: doc }));
    // A JSON string is a valid body but not a patch: encode it, or it would be sent as raw text.
    const patch = typeof doc === 'string' ? JSON.stringify(doc) : doc;
    cases.push(refused(`PATCH preferences: ${label}`, 'PATCH', '/v1/preferences', patch));
  }
  for (const [label, body] of [
    ['missing preferences', {}],
    ['preferences null', { preferences: null }],
    ['extra top-level', { preferences: {}, version: 99 }],
    ['tenant smuggling', { preferences: {}, tenant_id: '00000000-0000-4000-8000-000000000000' }],
  ] as [string, unknown][]) {
    cases.push(refused(`PUT preferences: ${label}`, 'PUT', '/v1/preferences', body));
  }
  cases.push(refused('PATCH preferences: empty patch', 'PATCH', '/v1/preferences', {}));
  for (const [label, body] of BAD_TENANT_BODIES) {
    cases.push(refused(`PATCH tenant: ${label}`, 'PATCH', '/v1/tenant', body));
  }

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

  // Every other method on a documented path, and a path below each that no template matches, is no route.
  const unrouted: [string, string][] = [['GET', '/v1/nope']];
  for (const path of Object.keys(spec.paths)) {
    const documented = ops.filter((o) => o.path === path);
    const url = documented[0]?.url ?? path;
    for (const method of METHODS.filter((m) => !documented.some((o) => o.method === m))) unrouted.push([method, url]);
    if (!Object.keys(spec.paths).some((p) => sameShape(p, `${url}/extra`))) unrouted.push(['GET', `${url}/extra`]);
  }
  for (const [method, path] of unrouted) {
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
