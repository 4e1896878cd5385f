import { describe, expect, it } from 'vitest';
import { withoutLiterals } from '../../db/tracing';
import { redactUrl } from '../../worker/observability/redact';
import { formatTraceparent, parseTraceparent, randomId } from '../../worker/observability/traceparent';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

describe('traceparent', () => {
  it('reads the ids and the sampled flag of a version-00 header', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.sampled).toBe(false);
  });

  it('accepts a later version with extra fields, as the spec asks', () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-future`)?.traceId).toBe(TRACE);
  });

  it('ignores malformed or forbidden headers', () => {
    for (const bad of [
      undefined,
      '',
      `ff-${TRACE}-${SPAN}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${TRACE.slice(1)}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01${' '.repeat(600)}x`,
    ]) {
      expect(parseTraceparent(bad)).toBeNull();
    }
  });

  it('formats what it parses', () => {
    const header = `00-${TRACE}-${SPAN}-01`;
    expect(formatTraceparent(parseTraceparent(header)!)).toBe(header);
  });

  it('makes random ids of the right size that are never all zeros', () => {
    const ids = new Set(Array.from({ length: 50 }, () => randomId(16)));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(randomId(8)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('what span attributes may carry', () => {
  it('a statement keeps its shape, never its literal values', () => {
    expect(withoutLiterals("select set_config('app.current_tenant_id', '9b2f1c1e-4a4b', true)")).toBe(
      'select set_config(?, ?, true)',
    );
    expect(
      withoutLiterals(`select "users"."id" from "users" where "users"."email" = 'a@b.test' and "t1"."n" > 42 limit 10`),
    ).toBe(`select "users"."id" from "users" where "users"."email" = ? and "t1"."n" > ? limit ?`);
    expect(withoutLiterals("select E'it\\'s', 'a''b', $$x 'y'$$, $q$z$q$, 3.5e2")).toBe('select ?, ?, ?, ?, ?');
    expect(withoutLiterals('insert into t (a, b) values ($1, $2)')).toBe('insert into t (a, b) values ($1, $2)');
  });

  it('a URL keeps scheme, host and path, not its query or credentials', () => {
    expect(redactUrl('https://user:pw@api.example/v1/search?q=alice%40example.com&token=x')).toBe(
      'https://api.example/v1/search',
    );
  });
});
