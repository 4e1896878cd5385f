import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openWorkersSocket } from '../../db/workers-socket';
import { api } from '../support/api';
import { caller, clerkId, signToken } from '../support/tokens';
import { buildCorpus, type Case } from './cases';

// This project has a database of its own, so "nothing changed" can be asserted over every row.
const owner = postgres(inject('corpusOwnerDatabaseUrl'), {
  max: 1,
  fetch_types: false,
  onnotice: () => {},
  socket: openWorkersSocket,
} as postgres.Options<Record<string, never>>);

const adminOrg = { id: clerkId('org'), role: 'admin' as const, slug: 'corpus' };
const admin = caller({ org: adminOrg });

async function snapshot() {
  const [row] = await owner`
    select (select count(*) from tenants)::int as tenants,
           (select count(*) from users)::int as users,
           (select count(*) from user_preferences)::int as preferences,
           (select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) from tenants t) as tenants_md5,
           (select md5(coalesce(string_agg(u::text, '|' order by u.id), '')) from users u) as users_md5,
           (select md5(coalesce(string_agg(p::text, '|' order by p.id), '')) from user_preferences p) as prefs_md5`;
  return row;
}

async function send(c: Case) {
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
  return api(c.path, { method: c.method, headers, body });
}

beforeAll(async () => {
  // The corpus's own tenant exists with a stored document, so writes have something to damage.
  const put = await api('/v1/preferences', {
    method: 'PUT',
    body: JSON.stringify({ preferences: { theme: 'light', default_bpm: 90 } }),
    headers: await admin.headers({ 'Content-Type': 'application/json' }),
  });
  expect(put.status).toBe(200);
});

afterAll(() => owner.end());

const corpus = buildCorpus();

describe('bad-input corpus', () => {
  it('has at least 200 cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
  });

  it.each(corpus.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await snapshot();
    const res = await send(c);
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
  });
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
