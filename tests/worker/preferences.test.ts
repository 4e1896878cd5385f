import { afterAll, describe, expect, it } from 'vitest';
import { api, type ErrorBody, jsonBody } from '../support/api';
import { ownerSqlInWorker } from '../support/owner-sql';
import { caller, clerkId } from '../support/tokens';

type Doc = { preferences: Record<string, unknown> & { notifications: Record<string, boolean> }; version: number };

const owner = ownerSqlInWorker();
afterAll(() => owner.end());

const newUser = () => caller({ org: { id: clerkId('org') } });

async function send(
  who: ReturnType<typeof caller>,
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return api('/v1/preferences', { method, ...jsonBody(body, await who.headers(headers)) });
}

async function read(who: ReturnType<typeof caller>) {
  const res = await api('/v1/preferences', { headers: await who.headers() });
  expect(res.status).toBe(200);
  return { etag: res.headers.get('ETag'), doc: await res.json<Doc>() };
}

describe('preferences document', () => {
  it('starts as the defaults at version 0', async () => {
    const { etag, doc } = await read(newUser());
    expect(etag).toBe('"0"');
    expect(doc.version).toBe(0);
    expect(doc.preferences).toMatchObject({ theme: 'system', locale: 'en-US', explicit_content: false });
  });

  it('PUT with If-Match creates it, bumps the version and persists it in Postgres', async () => {
    const who = newUser();
    const res = await send(who, 'PUT', { preferences: { theme: 'dark', default_bpm: 128 } }, { 'If-Match': '"0"' });
    expect(res.status).toBe(200);
    expect(res.headers.get('ETag')).toBe('"1"');
    const { doc } = await read(who);
    expect(doc).toMatchObject({ version: 1, preferences: { theme: 'dark', default_bpm: 128, locale: 'en-US' } });
    const [row] = await owner`
      select p.preferences, p.version from user_preferences p join users u on u.id = p.user_id
      where u.clerk_user_id = ${who.sub}`;
    expect(row).toEqual({ preferences: { theme: 'dark', default_bpm: 128 }, version: 1 });
  });

  it('PATCH merges (RFC 7396): nested keys merge, null resets a key to its default', async () => {
    const who = newUser();
    await send(who, 'PUT', {
      preferences: { theme: 'dark', default_genre: 'techno', notifications: { email: false } },
    });
    const res = await api('/v1/preferences', {
      method: 'PATCH',
      body: JSON.stringify({ default_genre: null, notifications: { product_updates: true } }),
      headers: await who.headers({ 'Content-Type': 'application/merge-patch+json', 'If-Match': '"1"' }),
    });
    expect(res.status).toBe(200);
    const doc = await res.json<Doc>();
    expect(doc.version).toBe(2);
    expect(doc.preferences).toMatchObject({
      theme: 'dark',
      default_genre: null,
      notifications: { email: false, product_updates: true, generation_complete: true },
    });
  });

  it('a stale If-Match gets 412 with the current version, and changes nothing', async () => {
    const who = newUser();
    await send(who, 'PUT', { preferences: { theme: 'light' } }, { 'If-Match': '"0"' });
    const res = await send(who, 'PATCH', { theme: 'dark' }, { 'If-Match': '"0"' });
    expect(res.status).toBe(412);
    const body = await res.json<ErrorBody>();
    expect(body.error).toMatchObject({ code: 'precondition_failed', details: { current_version: 1 } });
    expect((await read(who)).doc).toMatchObject({ version: 1, preferences: { theme: 'light' } });
  });

  it('If-Match: * requires an existing document', async () => {
    const who = newUser();
    expect((await send(who, 'PATCH', { theme: 'dark' }, { 'If-Match': '*' })).status).toBe(412);
    await send(who, 'PATCH', { theme: 'dark' });
    expect((await send(who, 'PATCH', { theme: 'light' }, { 'If-Match': '*' })).status).toBe(200);
  });

  it('N parallel PATCHes with the same If-Match: exactly one wins, the rest get 412', async () => {
    const who = newUser();
    await send(who, 'PUT', { preferences: { default_bpm: 100 } }, { 'If-Match': '"0"' });
    const bpms = Array.from({ length: 10 }, (_, i) => 110 + i);
    const results = await Promise.all(
      bpms.map((bpm) => send(who, 'PATCH', { default_bpm: bpm }, { 'If-Match': '"1"' })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(412)]);
    const winner = await results.find((r) => r.status === 200)!.json<Doc>();
    const { doc } = await read(who);
    expect(doc.version).toBe(2);
    expect(doc.preferences.default_bpm).toBe(winner.preferences.default_bpm);
  });

  it('N parallel unconditional first PATCHes (no row yet) all succeed and lose no update', async () => {
    const who = newUser();
    const patches = [
      { theme: 'dark' },
      { locale: 'de-DE' },
      { default_genre: 'house' },
      { default_bpm: 124 },
      { explicit_content: true },
      { timezone: 'Europe/Berlin' },
    ];
    const results = await Promise.all(patches.map((p) => send(who, 'PATCH', p)));
    expect(results.map((r) => r.status)).toEqual(Array(patches.length).fill(200));
    const { doc } = await read(who);
    expect(doc.version).toBe(patches.length);
    expect(doc.preferences).toMatchObject(Object.assign({}, ...patches));
  });

  it('N parallel unconditional PATCHes of different keys lose no update', async () => {
    const who = newUser();
    await send(who, 'PUT', { preferences: {} });
    const patches = [
      { theme: 'dark' },
      { locale: 'de-DE' },
      { timezone: 'Europe/Berlin' },
      { default_genre: 'house' },
      { default_bpm: 124 },
      { explicit_content: true },
      { notifications: { email: false } },
      { notifications: { product_updates: true } },
    ];
    const results = await Promise.all(patches.map((p) => send(who, 'PATCH', p)));
    expect(results.map((r) => r.status)).toEqual(Array(patches.length).fill(200));
    const { doc } = await read(who);
    expect(doc.version).toBe(1 + patches.length);
    expect(doc.preferences).toEqual({
      theme: 'dark',
      locale: 'de-DE',
      timezone: 'Europe/Berlin',
      default_genre: 'house',
      default_bpm: 124,
      explicit_content: true,
      notifications: { email: false, generation_complete: true, product_updates: true },
    });
  });
});

describe('hostile but valid input', () => {
  it('SQL and markup in text fields are stored verbatim, never executed', async () => {
    const who = newUser();
    const genre = "'); drop table users; --";
    const res = await send(who, 'PATCH', { default_genre: genre, locale: 'en-US' });
    expect(res.status).toBe(200);
    expect((await read(who)).doc.preferences.default_genre).toBe(genre);
    const [users] = await owner`select count(*)::int as n from users`;
    expect(users?.n).toBeGreaterThan(0);
  });
});

describe('preferences input errors', () => {
  it.each([
    ['an unknown key', { preferences: { volume: 11 } }],
    ['a wrong enum', { preferences: { theme: 'neon' } }],
    ['a wrong type', { preferences: { explicit_content: 'yes' } }],
    ['a bpm out of range', { preferences: { default_bpm: 301 } }],
    ['a fractional bpm', { preferences: { default_bpm: 120.5 } }],
    ['an unknown time zone', { preferences: { timezone: 'Mars/Olympus' } }],
    ['a NUL byte', { preferences: { default_genre: 'a\u0000b' } }],
    ['a prototype-pollution key', JSON.parse('{"preferences":{"__proto__":{"admin":true}}}')],
    ['an extra top-level key', { preferences: {}, version: 7 }],
    ['a missing document', {}],
  ])('PUT with %s -> 422 with details, nothing written', async (_label, body) => {
    const who = newUser();
    const res = await send(who, 'PUT', body);
    expect(res.status).toBe(422);
    const err = await res.json<ErrorBody>();
    expect(err.error.code).toBe('validation_failed');
    expect(err.error.request_id).toBe(res.headers.get('X-Request-ID'));
    expect(Array.isArray(err.error.details)).toBe(true);
    expect((await read(who)).doc.version).toBe(0);
  });

  it('a PATCH that would produce an invalid document -> 422', async () => {
    const who = newUser();
    expect((await send(who, 'PATCH', { notifications: { sms: true } })).status).toBe(422);
    expect((await send(who, 'PATCH', {})).status).toBe(422);
  });

  it('malformed JSON -> 400', async () => {
    const who = newUser();
    const res = await api('/v1/preferences', {
      method: 'PUT',
      body: '{"preferences": {',
      headers: await who.headers({ 'Content-Type': 'application/json' }),
    });
    expect(res.status).toBe(400);
    expect((await res.json<ErrorBody>()).error.code).toBe('bad_request');
  });

  it('a non-JSON content type -> 415', async () => {
    const who = newUser();
    const res = await api('/v1/preferences', {
      method: 'PUT',
      body: 'theme=dark',
      headers: await who.headers({ 'Content-Type': 'application/x-www-form-urlencoded' }),
    });
    expect(res.status).toBe(415);
    expect((await res.json<ErrorBody>()).error.code).toBe('unsupported_media_type');
  });

  it('a body over the limit -> 413', async () => {
    const who = newUser();
    const res = await send(who, 'PUT', { preferences: { default_genre: 'x'.repeat(20_000) } });
    expect(res.status).toBe(413);
    expect((await res.json<ErrorBody>()).error.code).toBe('payload_too_large');
  });

  it.each(['3', 'W/"3"', '"-1"', '"abc"', '"1", "2"'])('a malformed If-Match (%s) -> 400', async (value) => {
    const res = await send(newUser(), 'PATCH', { theme: 'dark' }, { 'If-Match': value });
    expect(res.status).toBe(400);
  });
});
