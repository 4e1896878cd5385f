import { createHash } from 'node:crypto';
import { Ratelimit } from '@upstash/ratelimit';
import { afterAll, describe, expect, it } from 'vitest';
import { dropKeys, key, raw, upstash } from './support';

const redis = upstash();
afterAll(dropKeys);

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
// The shape of every @upstash/ratelimit script: a shebang flag only Upstash knows.
const UPSTASH_ONLY = `#!lua flags=allow-key-locking
  return {KEYS[1], tonumber(ARGV[1]) * 2, redis.call('INCR', KEYS[1])}`;

describe('scripts', () => {
  it('eval runs Lua with keys and arguments', async () => {
    const k = key('lua');
    expect(await redis.eval('return {KEYS[1], ARGV[1], redis.call("INCRBY", KEYS[1], ARGV[1])}', [k], ['7'])).toEqual([
      k,
      7,
      7,
    ]);
  });

  it('script load + evalsha run a script by its SHA1; an unknown SHA1 is NOSCRIPT, verbatim', async () => {
    const script = 'return ARGV[1] .. "!"';
    const sha = await redis.scriptLoad(script);
    expect(sha).toBe(sha1(script));
    expect(await redis.evalsha(sha, [], ['hey'])).toBe('hey!');
    await expect(redis.evalsha('0'.repeat(40), [], [])).rejects.toThrow(
      'NOSCRIPT No matching script. Please use EVAL.',
    );
  });

  it('a script with Upstash’s allow-key-locking flag runs on this Redis, by eval and by the client’s SHA1', async () => {
    const k = key('flags');
    expect(await redis.eval(UPSTASH_ONLY, [k], ['21'])).toEqual([k, 42, 1]);
    expect(await redis.evalsha(sha1(UPSTASH_ONLY), [k], ['1'])).toEqual([k, 2, 2]);
    expect(await redis.scriptExists(sha1(UPSTASH_ONLY))).toEqual([1]);
    expect(await redis.scriptLoad(UPSTASH_ONLY)).toBe(sha1(UPSTASH_ONLY));
  });

  it('flags Redis knows are kept: a no-writes script may not write', async () => {
    const res = await raw('/', [
      'EVAL',
      "#!lua flags=no-writes,allow-key-locking\nreturn redis.call('SET', KEYS[1], 'x')",
      1,
      key('ro'),
    ]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /Write commands are not allowed from read-only scripts/,
    );
  });

  it('evalsha falls back to eval on NOSCRIPT, as @upstash/ratelimit does, inside a pipeline too', async () => {
    const script = `#!lua flags=allow-key-locking\nreturn "${key('fresh')}"`;
    const [missing] = await redis.pipeline().evalsha(sha1(script), [], []).exec({ keepErrors: true });
    expect(missing?.error).toMatch(/^NOSCRIPT/);
    expect(await redis.eval(script, [], [])).toMatch(/^mmtest:/);
    expect(await redis.evalsha(sha1(script), [], [])).toMatch(/^mmtest:/);
  });
});

describe('@upstash/ratelimit over the endpoint', () => {
  it('a sliding window lets exactly the limit through under concurrency, with real verdicts', async () => {
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(5, '60 s'),
      prefix: key('rl'),
      ephemeralCache: false,
      analytics: false,
    });
    const verdicts = await Promise.all(Array.from({ length: 30 }, () => limiter.limit('user_1')));
    // A timeout also says success: true, so a broken endpoint would look like "nothing limited".
    expect(verdicts.filter((v) => v.reason === 'timeout')).toEqual([]);
    expect(verdicts.filter((v) => v.success)).toHaveLength(5);
    const [denied] = verdicts.filter((v) => !v.success);
    expect(denied).toMatchObject({ limit: 5, remaining: 0 });
    expect(denied!.reset).toBeGreaterThan(Date.now());
    expect((await limiter.limit('user_2')).success).toBe(true);
  });
});
