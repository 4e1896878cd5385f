import { afterAll, describe, expect, inject, it } from 'vitest';
import { dropKeys, key, raw, upstash } from './support';

afterAll(dropKeys);

const BASE64 = { 'Upstash-Encoding': 'base64' };

describe('the Upstash REST protocol on the wire', () => {
  it('POST / runs one command: {result}, 200', async () => {
    const k = key('wire');
    const res = await raw('/', ['SET', k, 'bar']);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ result: 'OK' });
    expect(await (await raw('/', ['GET', k])).json()).toEqual({ result: 'bar' });
    expect(await (await raw('/', ['GET', key('none')])).json()).toEqual({ result: null });
  });

  it('numbers and booleans in the command array are sent as their text', async () => {
    const [k, h] = [key('wire-num'), key('wire-bool')];
    await raw('/', ['SET', k, 1.5]);
    expect(await (await raw('/', ['INCRBYFLOAT', k, 1])).json()).toEqual({ result: '2.5' });
    await raw('/', ['HSET', h, 'flag', true]);
    expect(await (await raw('/', ['HGET', h, 'flag'])).json()).toEqual({ result: 'true' });
  });

  it('Upstash-Encoding: base64 encodes every string but a top-level "OK"; integers and nil stay', async () => {
    const [k, l] = [key('b64'), key('b64')];
    expect(await (await raw('/', ['SET', k, 'bar'], BASE64)).json()).toEqual({ result: 'OK' });
    expect(await (await raw('/', ['GET', k], BASE64)).json()).toEqual({ result: 'YmFy' });
    expect(await (await raw('/', ['STRLEN', k], BASE64)).json()).toEqual({ result: 3 });
    expect(await (await raw('/', ['GET', key('none')], BASE64)).json()).toEqual({ result: null });
    expect(await (await raw('/', ['PING'], BASE64)).json()).toEqual({ result: 'UE9ORw==' });
    await raw('/', ['RPUSH', l, 'OK', 'é']);
    expect(await (await raw('/', ['LRANGE', l, 0, -1], BASE64)).json()).toEqual({ result: ['T0s=', 'w6k='] });
  });

  it('raw bytes that are not UTF-8 survive base64 and become U+FFFD without it', async () => {
    const [src, dst] = [key('bits'), key('bits')];
    await raw('/', ['SET', src, 'a']);
    await raw('/', ['BITOP', 'NOT', dst, src]);
    expect(await (await raw('/', ['GET', dst], BASE64)).json()).toEqual({
      result: Buffer.from([0x9e]).toString('base64'),
    });
    expect(await (await raw('/', ['GET', dst])).json()).toEqual({ result: '\uFFFD' });
  });

  it('/pipeline answers an array of {result}/{error}, 200 even when one command fails', async () => {
    const k = key('pipe');
    const res = await raw('/pipeline', [
      ['SET', k, 'v'],
      ['INCR', k],
      ['GET', k],
    ]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      { result: 'OK' },
      { error: 'ERR value is not an integer or out of range' },
      { result: 'v' },
    ]);
  });

  it('/multi-exec runs all commands despite a runtime error, like Redis', async () => {
    const k = key('multi');
    const res = await raw(
      '/multi-exec',
      [
        ['SET', k, 'v'],
        ['INCR', k],
        ['APPEND', k, '2'],
      ],
      BASE64,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      { result: 'OK' },
      { error: 'ERR value is not an integer or out of range' },
      { result: 2 },
    ]);
  });

  it('/multi-exec with a command Redis refuses to queue is discarded as a whole: one {error}, 400', async () => {
    const k = key('multi-abort');
    const res = await raw('/multi-exec', [
      ['SET', k, 'v'],
      ['SET', k],
    ]);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "ERR wrong number of arguments for 'set' command" });
    expect(await (await raw('/', ['EXISTS', k])).json()).toEqual({ result: 0 });
  });

  it('a failing single command is a 400 {error} carrying Redis’s message', async () => {
    const k = key('wrongtype');
    await raw('/', ['RPUSH', k, 'x']);
    const res = await raw('/', ['GET', k]);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
  });

  it('bodies that are not commands are 400s', async () => {
    for (const [path, body] of [
      ['/', []],
      ['/', [['GET', 'k']]],
      ['/', { cmd: 'GET' }],
      ['/', ['SET', 'k', null]],
      ['/pipeline', []],
      ['/pipeline', ['GET', 'k']],
    ] as const) {
      const res = await raw(path, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toEqual({ error: expect.stringMatching(/^ERR /) });
    }
    const res = await fetch(inject('upstashUrl'), {
      method: 'POST',
      headers: { Authorization: `Bearer ${inject('upstashToken')}` },
      body: '["GET",',
    });
    expect(res.status).toBe(400);
  });

  it('commands that would hold or change the shared connection are refused', async () => {
    for (const command of [
      ['BLPOP', key('q'), 1],
      ['SELECT', 1],
      ['SUBSCRIBE', 'c'],
      ['MULTI'],
      ['XREAD', 'BLOCK', 0, 'STREAMS', 's', '$'],
    ]) {
      const res = await raw('/', command);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: `ERR Command is not available: '${command[0]}'` });
    }
  });

  it('answers only POST, on /, /pipeline and /multi-exec', async () => {
    const headers = { Authorization: `Bearer ${inject('upstashToken')}` };
    expect((await fetch(`${inject('upstashUrl')}/get/foo`, { headers })).status).toBe(405);
    expect((await raw('/get/foo', [])).status).toBe(404);
  });

  it('returns an upstash-sync-token for read-your-writes', async () => {
    const res = await raw('/', ['PING']);
    expect(res.headers.get('upstash-sync-token')).toMatch(/^\d+$/);
  });
});

describe('authentication', () => {
  it('a wrong or missing bearer token is 401 WRONGPASS, and the client throws it', async () => {
    const url = inject('upstashUrl');
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer wrong' },
      { Authorization: inject('upstashToken') },
    ];
    for (const headers of attempts) {
      const res = await fetch(url, { method: 'POST', headers, body: '["PING"]' });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'WRONGPASS invalid or missing auth token' });
    }
    await expect(upstash({ token: 'wrong' }).get('k')).rejects.toThrow(/WRONGPASS/);
  });

  it('the token is also accepted as the _token query parameter, as the service allows', async () => {
    const res = await fetch(`${inject('upstashUrl')}/?_token=${inject('upstashToken')}`, {
      method: 'POST',
      body: '["PING"]',
    });
    expect(await res.json()).toEqual({ result: 'PONG' });
  });
});
