import { afterAll, describe, expect, it } from 'vitest';
import { dropKeys, key, upstash } from './support';

const redis = upstash();
afterAll(dropKeys);

describe('@upstash/redis against the local endpoint: data types', () => {
  it('strings: set, get, append, getrange, mset/mget, set options', async () => {
    const [a, b] = [key('str'), key('str')];
    expect(await redis.set(a, 'hello')).toBe('OK');
    expect(await redis.append(a, ' world')).toBe(11);
    expect(await redis.get(a)).toBe('hello world');
    expect(await redis.getrange(a, 0, 4)).toBe('hello');
    expect(await redis.set(a, 'other', { nx: true })).toBeNull();
    expect(await redis.mset({ [b]: 'x' })).toBe('OK');
    expect(await redis.mget(a, b, key('missing'))).toEqual(['hello world', 'x', null]);
  });

  it('hashes: hset, hget, hgetall, hincrby, hdel', async () => {
    const h = key('hash');
    expect(await redis.hset(h, { name: 'Ada', plays: 1 })).toBe(2);
    expect(await redis.hget(h, 'name')).toBe('Ada');
    expect(await redis.hincrby(h, 'plays', 41)).toBe(42);
    expect(await redis.hgetall(h)).toEqual({ name: 'Ada', plays: 42 });
    expect(await redis.hdel(h, 'name')).toBe(1);
    expect(await redis.hkeys(h)).toEqual(['plays']);
  });

  it('lists: push, range, pop, length', async () => {
    const l = key('list');
    expect(await redis.rpush(l, 'b', 'c')).toBe(2);
    expect(await redis.lpush(l, 'a')).toBe(3);
    expect(await redis.lrange(l, 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await redis.lpop(l)).toBe('a');
    expect(await redis.rpop(l)).toBe('c');
    expect(await redis.llen(l)).toBe(1);
  });

  it('sets: add, members, membership, remove', async () => {
    const s = key('set');
    expect(await redis.sadd(s, 'x', 'y', 'x')).toBe(2);
    expect((await redis.smembers(s)).sort()).toEqual(['x', 'y']);
    expect(await redis.sismember(s, 'y')).toBe(1);
    expect(await redis.srem(s, 'y')).toBe(1);
    expect(await redis.scard(s)).toBe(1);
  });

  it('sorted sets: add, range with scores, score, increment, rank', async () => {
    const z = key('zset');
    expect(await redis.zadd(z, { score: 2, member: 'b' }, { score: 1, member: 'a' }, { score: 3.5, member: 'c' })).toBe(
      3,
    );
    expect(await redis.zrange(z, 0, -1, { withScores: true })).toEqual(['a', 1, 'b', 2, 'c', 3.5]);
    expect(await redis.zscore(z, 'c')).toBe(3.5);
    expect(await redis.zincrby(z, 10, 'a')).toBe(11);
    expect(await redis.zrank(z, 'a')).toBe(2);
    expect(await redis.zrange(z, 0, 0, { rev: true })).toEqual(['a']);
  });

  it('counters: incr, incrby, decr, incrbyfloat; a non-integer is an error', async () => {
    const n = key('counter');
    expect(await redis.incr(n)).toBe(1);
    expect(await redis.incrby(n, 9)).toBe(10);
    expect(await redis.decr(n)).toBe(9);
    expect(await redis.incrbyfloat(n, 0.5)).toBe(9.5);
    await expect(redis.incr(n)).rejects.toThrow(/not an integer/);
  });

  it('expiry: ttl and pttl, persist, and a key that expires is gone', async () => {
    const [a, b] = [key('exp'), key('exp')];
    await redis.set(a, 'v', { ex: 100 });
    expect(await redis.ttl(a)).toBeGreaterThan(90);
    expect(await redis.pttl(a)).toBeGreaterThan(90_000);
    expect(await redis.persist(a)).toBe(1);
    expect(await redis.ttl(a)).toBe(-1);
    await redis.set(b, 'v', { px: 30 });
    await expect.poll(() => redis.exists(b), { timeout: 2_000, interval: 20 }).toBe(0);
    expect(await redis.ttl(b)).toBe(-2);
  });

  it('JSON values round-trip as values, not strings', async () => {
    const j = key('json');
    const doc = { theme: 'dark', bpm: 120, tags: ['lofi', 'ambient'], nested: { ok: true, none: null } };
    await redis.set(j, doc);
    expect(await redis.get(j)).toEqual(doc);
    await redis.hset(key('json-hash'), { doc });
    const h = key('json-list');
    await redis.rpush(h, { n: 1 }, [1, 2]);
    expect(await redis.lrange(h, 0, -1)).toEqual([{ n: 1 }, [1, 2]]);
  });
});

describe('binary-unsafe and unicode values', () => {
  const values = {
    nul_and_controls: 'a\u0000b\u0001\u007f\r\n\t"\\',
    emoji: 'drum 🥁 and bass 🎸 — ♫',
    cjk_and_rtl: '音楽 ミュージック 음악 موسيقى',
    combining: 'e\u0301 n\u0303 Z\u0335\u0321',
    base64_lookalike: 'T0s=',
    literal_ok: 'OK',
    json_lookalike: '{"not":"parsed"}',
  };

  for (const encoding of ['base64', false] as const) {
    it(`every value comes back byte for byte (responseEncoding: ${encoding})`, async () => {
      const client = upstash({ responseEncoding: encoding, automaticDeserialization: false });
      for (const [name, value] of Object.entries(values)) {
        const k = key(name);
        await client.set(k, value);
        expect(await client.get(k), name).toBe(value);
        expect(await client.strlen(k), name).toBe(Buffer.byteLength(value));
      }
    });
  }

  it('unicode keys and hash fields work', async () => {
    const k = key('ключ-🔑');
    await redis.hset(k, { поле: 'значение', '🎵': 'note' });
    expect(await redis.hgetall(k)).toEqual({ поле: 'значение', '🎵': 'note' });
  });
});

describe('pipeline and multi-exec', () => {
  it('a pipeline answers each command in order, an error only failing its own entry', async () => {
    const [s, n] = [key('p'), key('p')];
    const results = await redis.pipeline().set(s, 'text').incr(s).incr(n).get(s).exec({ keepErrors: true });
    expect(results.map((r) => r.result)).toEqual(['OK', undefined, 1, 'text']);
    expect(results[1]?.error).toMatch(/not an integer/);
    await expect(redis.pipeline().set(s, 'x').incr(s).exec()).rejects.toThrow(/Command 2 \[ incr \] failed/);
  });

  it('auto-pipelining batches concurrent commands into one request and keeps them apart', async () => {
    const keys = Array.from({ length: 20 }, () => key('auto'));
    const auto = upstash({ enableAutoPipelining: true });
    await Promise.all(keys.map((k, i) => auto.set(k, i)));
    expect(await Promise.all(keys.map((k) => auto.get(k)))).toEqual(keys.map((_, i) => i));
    // Not in the typings: how many HTTP batches the proxy sent (one for the writes, one for the reads).
    expect((auto as unknown as { pipelineCounter: number }).pipelineCounter).toBe(2);
  });

  it('multi-exec runs the transaction and returns every answer', async () => {
    const n = key('tx');
    expect(await redis.multi().set(n, 10).incrby(n, 5).get(n).exec()).toEqual(['OK', 15, 15]);
  });

  it('multi-exec is atomic: concurrent transactions never interleave', async () => {
    const n = key('tx-atomic');
    const runs = await Promise.all(
      Array.from({ length: 40 }, () => redis.multi().incr(n).incr(n).incr(n).exec<[number, number, number]>()),
    );
    for (const [a, b, c] of runs) expect([b - a, c - b]).toEqual([1, 1]);
    expect(runs.map(([a]) => a).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => 1 + 3 * i));
  });
});
