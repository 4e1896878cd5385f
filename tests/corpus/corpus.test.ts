import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openWorkersSocket } from '../../db/workers-socket';
import { api, apiWithVars } from '../support/api';
import { SONGS } from '../support/songs';
import { caller, clerkId, signToken } from '../support/tokens';
import { buildCorpus, type Case, operations, type Spec } from './cases';
import { testApp, testAppDocument } from './test-app';

// This project has a database of its own, so "nothing changed" can be asserted over every row.
const owner = postgres(inject('corpusOwnerDatabaseUrl'), {
  max: 1,
  fetch_types: false,
  onnotice: () => {},
  socket: openWorkersSocket,
} as postgres.Options<Record<string, never>>);

const adminOrg = { id: clerkId('org'), role: 'admin' as const, slug: 'corpus' };
const admin = caller({ org: adminOrg });

/** Every row of every table, read from the catalog each time: a table added later is covered too. */
async function snapshot() {
  const tables = await owner<{ name: string }[]>`
    select quote_ident(c.relname) as name from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    where c.relkind in ('r', 'p') order by c.relname`;
  const [row] = await owner.unsafe(
    `select ${tables
      .map(
        ({ name }) =>
          `(select json_build_object('rows', count(*), 'md5', md5(coalesce(string_agg(t::text, '|' order by t::text), '')))
            from ${name} t) as ${name}`,
      )
      .join(', ')}`,
  );
  return row;
}

async function send(c: Case, fetch: typeof api) {
  const headers: Record<string, string> = { ...c.headers };
  if (c.auth === 'valid') Object.assign(headers, await admin.headers());
  else if (c.auth !== 'none') {
    headers.Authorization =
      'claims' in c.auth
        ? `Bearer ${await signToken({ sub: admin.sub, org: adminOrg, claims: c.auth.claims })}`
        : c.auth.header;
  }
  const body =
    c.body === undefined || c.method === 'GET'
      ? undefined
      : typeof c.body === 'string'
        ? c.body
        : JSON.stringify(c.body);
  return fetch(c.path, { method: c.method, headers, body });
}

/** A case's request: a 4xx JSON error (the expected one) with the request id, and not a row changed. */
async function check(c: Case, fetch: typeof api) {
  const before = await snapshot();
  const res = await send(c, fetch);
  const text = await res.text();
  if (c.expect === '4xx') {
    expect(res.status, text).toBeGreaterThanOrEqual(400);
    expect(res.status, text).toBeLessThan(500);
  } else {
    expect(res.status, text).toBe(c.expect);
  }
  expect(res.headers.get('content-type')).toContain('application/json');
  const body = JSON.parse(text) as { error: { code: string; request_id: string } };
  expect(body.error.code).toMatch(/^[a-z_]+$/);
  expect(body.error.request_id).toBe(res.headers.get('X-Request-ID'));
  expect(await snapshot()).toEqual(before);
}

const testAppApi = apiWithVars({}, testApp);
const SONG_ID = crypto.randomUUID();

beforeAll(async () => {
  // The corpus's own tenant exists with a stored document, so writes have something to damage.
  const put = await api('/v1/preferences', {
    method: 'PUT',
    body: JSON.stringify({ preferences: { theme: 'light', default_bpm: 90 } }),
    headers: await admin.headers({ 'Content-Type': 'application/json' }),
  });
  expect(put.status).toBe(200);
  // The test app's resource, made by the recipe, with a song stored by its own route.
  for (const statement of SONGS) await owner.unsafe(statement);
  const song = await testAppApi(`/v1/songs/${SONG_ID}`, {
    method: 'PUT',
    body: JSON.stringify({ title: 'First' }),
    headers: await admin.headers({ 'Content-Type': 'application/json' }),
  });
  expect(song.status, await song.text()).toBe(200);
});

afterAll(() => owner.end());

// Enumerated from the Worker's own document, so a route added later is fuzzed without an edit.
const spec = await (await api('/openapi.json')).json<Spec>();
const corpus = buildCorpus(spec);
const songsCorpus = buildCorpus(testAppDocument() as unknown as Spec).filter((c) => c.path.startsWith('/v1/songs'));

describe('bad-input corpus', () => {
  it('has at least 200 cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
  });

  it('fuzzes every operation /openapi.json documents, and nothing else', () => {
    const documented = operations(spec).map((o) => o.operation);
    expect(documented.length).toBeGreaterThanOrEqual(8);
    expect(new Set(corpus.flatMap((c) => c.operation ?? []))).toEqual(new Set(documented));
  });

  it.each(corpus.map((c) => [c.name, c] as const))('%s', (_name, c) => check(c, api));
});

describe('bad-input corpus of a route only a test app has (songs)', () => {
  it("enumerates its operations from the test app's document", () => {
    expect(new Set(songsCorpus.flatMap((c) => c.operation ?? []))).toEqual(
      new Set(['GET /v1/songs/{id}', 'PUT /v1/songs/{id}']),
    );
  });

  it.each(songsCorpus.map((c) => [c.name, c] as const))('%s', (_name, c) => check(c, testAppApi));
});

describe('session token fuzzing', () => {
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

  it('every single-character mutation of header, payload or signature -> 401', async () => {
    const token = await signToken({ sub: admin.sub, org: { id: clerkId('org') } });
    const [header = '', payload = '', signature = ''] = token.split('.');
    const mutants = new Set<string>();
    for (let i = 0; i < header.length; i += 3) mutants.add(`${flip(header, i)}.${payload}.${signature}`);
    for (let i = 0; i < payload.length; i += 5) mutants.add(`${header}.${flip(payload, i)}.${signature}`);
    for (let i = 0; i < signature.length; i += 11) mutants.add(`${header}.${payload}.${flip(signature, i)}`);
    mutants.add(`${header}.${payload}.`);
    mutants.add(`${header}.${payload}`);
    mutants.add(`${header}..${signature}`);
    mutants.add(`.${payload}.${signature}`);
    mutants.delete(token);
    expect(mutants.size).toBeGreaterThan(60);
    const before = await snapshot();
    for (const mutant of mutants) {
      const res = await api('/v1/me', { headers: { Authorization: `Bearer ${mutant}` } });
      expect(res.status, mutant).toBe(401);
    }
    expect(await snapshot()).toEqual(before);
  });
});
