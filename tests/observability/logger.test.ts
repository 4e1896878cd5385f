import { describe, expect, it } from 'vitest';
import { createLogger, type LoggerOptions, type LogLevel } from '../../worker/observability/logger';

function capture(options: Partial<LoggerOptions> = {}) {
  const lines: { level: LogLevel; line: string }[] = [];
  const logger = createLogger({
    service: 'meatymusic-api',
    environment: 'test',
    level: 'debug',
    write: (level, line) => lines.push({ level, line }),
    ...options,
  });
  const parsed = () => lines.map((l) => JSON.parse(l.line) as Record<string, unknown>);
  return { logger, lines, parsed };
}

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEyMyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('JSON log lines', () => {
  it('one JSON object per line with timestamp, level, message, service, environment and fields', () => {
    const { logger, lines, parsed } = capture();
    logger.info('hello', { answer: 42 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.line).not.toContain('\n');
    const [line] = parsed();
    expect(line).toEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: 'info',
      message: 'hello',
      service: 'meatymusic-api',
      environment: 'test',
      answer: 42,
    });
  });

  it('a child logger carries its bound ids on every line', () => {
    const { logger, parsed } = capture();
    const child = logger.child({ trace_id: 'a'.repeat(32), request_id: 'r-1' }).child({ span_id: 'b'.repeat(16) });
    child.warn('one');
    child.error('two');
    for (const line of parsed()) {
      expect(line).toMatchObject({ trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16), request_id: 'r-1' });
    }
  });

  it('drops lines below the configured level', () => {
    const { logger, parsed } = capture({ level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(parsed().map((l) => l.level)).toEqual(['warn', 'error']);
  });

  it('writes errors with their stack only when asked to (development)', () => {
    const error = new TypeError('boom');
    const prod = capture();
    prod.logger.error('failed', { error });
    expect(prod.parsed()[0]!.error).toEqual({ name: 'TypeError', message: 'boom' });

    const dev = capture({ includeStack: true });
    dev.logger.error('failed', { error });
    expect((dev.parsed()[0]!.error as { stack: string }).stack).toContain('TypeError: boom');
  });
});

describe('secrets never reach a log line', () => {
  it('redacts credential-named fields at any depth, whatever their value', () => {
    const { logger, lines } = capture();
    logger.info('incoming', {
      headers: { Authorization: `Bearer ${JWT}`, cookie: '__session=abc123', 'x-api-key': 'k-987' },
      nested: [{ clientSecret: 'shh-1' }, { upstash_token: 'tok-2' }],
      password: 'hunter2',
    });
    const text = lines[0]!.line;
    for (const secret of [JWT, 'abc123', 'k-987', 'shh-1', 'tok-2', 'hunter2']) expect(text).not.toContain(secret);
    expect(JSON.parse(text).headers.Authorization).toBe('[redacted]');
  });

  it('redacts tokens inside free text: messages, error messages, URLs with passwords', () => {
    const { logger, lines } = capture({ includeStack: true });
    logger.error(`verification failed for Bearer ${JWT}`, {
      error: new Error(`upstream said: token ${JWT} rejected; key sk_test_AbC123xyz; secret whsec_Zm9vYmFy`),
      upstream: 'postgres://meatymusic_app:s3cret-pw@db.internal:5432/meatymusic',
    });
    const text = lines[0]!.line;
    for (const secret of [JWT, 'sk_test_AbC123xyz', 'whsec_Zm9vYmFy', 's3cret-pw']) expect(text).not.toContain(secret);
    const line = JSON.parse(text);
    expect(line.message).toBe('verification failed for Bearer [redacted]');
    expect(line.upstream).toBe('postgres://meatymusic_app:[redacted]@db.internal:5432/meatymusic');
  });

  it('a Headers object is logged as its pairs, credentials redacted', () => {
    const { logger, parsed } = capture();
    logger.info('headers', { request: new Headers({ authorization: `Bearer ${JWT}`, accept: 'application/json' }) });
    expect(parsed()[0]!.request).toEqual({ authorization: '[redacted]', accept: 'application/json' });
  });

  it('leaves ordinary ids and text alone', () => {
    const { logger, parsed } = capture();
    const fields = { trace_id: 'c'.repeat(32), tenant_id: '9b2f1c1e-4a4b-4d0e-9f00-0a1b2c3d4e5f', route: '/v1/me' };
    logger.info('request', fields);
    expect(parsed()[0]).toMatchObject(fields);
  });
});
