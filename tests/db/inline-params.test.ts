import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { inlineParams, literal } from '../../db/inline-params';

const sql = postgres(inject('appDatabaseUrl'), { max: 1, onnotice: () => {}, fetch_types: false });
afterAll(() => sql.end());

const strings = [
  '',
  'plain',
  "it's",
  "'; drop table users; --",
  "\\'; select 1; --",
  'back\\slash',
  'trailing\\',
  '\\\\double',
  "E'\\x41'",
  '$1 $2 $$ $tag$',
  'ünïcödé ✓ 🎵',
  'new\nline\ttab',
  '"double" quotes',
];

describe('inlined SQL literals', () => {
  it.each(strings)(
    'the string %j comes back byte for byte, under either standard_conforming_strings',
    async (value) => {
      for (const scs of ['on', 'off']) {
        const [row] = await sql.begin(async (tx) => {
          await tx.unsafe(`set local standard_conforming_strings = ${scs}`);
          return tx.unsafe(`select ${literal(value)}::text as v`);
        });
        expect(row?.v).toBe(value);
      }
    },
  );

  it('numbers, booleans, null, dates and JSON keep their values', async () => {
    const date = new Date('2026-11-25T08:00:00.123Z');
    const [row] = await sql.unsafe(
      inlineParams(
        'select $1::int as i, $2::float8 as f, $3::bool as b, $4::text as n, $5::timestamptz as d, $6::jsonb as j, $7::bigint as g',
        [-42, 1.5e-7, false, null, date, { a: "o'k", b: [1, '\\'] }, 1234567890123456789n],
      ),
    );
    expect(row).toMatchObject({
      i: -42,
      f: 1.5e-7,
      b: false,
      n: null,
      j: { a: "o'k", b: [1, '\\'] },
      g: '1234567890123456789',
    });
    expect(row?.d).toEqual(date);
  });

  it('replaces $10 as the tenth value, not $1 followed by 0', () => {
    const params = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(inlineParams('$1,$10', params)).toBe("'1','10'");
  });

  it('a negative number after a minus sign stays a number, not a -- comment', async () => {
    const [row] = await sql.unsafe(inlineParams('select 5-$1::int as v, $2::text as kept', [-3, 'kept']));
    expect(row).toEqual({ v: 8, kept: 'kept' });
  });

  it('refuses what it cannot express safely', () => {
    expect(() => literal('a\u0000b')).toThrow(/NUL/);
    expect(() => literal(Number.NaN)).toThrow(/non-finite/);
    expect(() => literal(new Uint8Array([1]))).toThrow(/binary/);
    expect(() => literal(['a'])).toThrow(/array/);
    expect(() => inlineParams('$2', [1])).toThrow(/\$2/);
  });
});
