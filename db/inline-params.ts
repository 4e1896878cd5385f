/**
 * Turns `$1`-style parameters into SQL literals, the way libpq's PQescapeLiteral does.
 *
 * Why: postgres.js sends every not-yet-prepared parameterised statement as Parse/Describe first and
 * waits for the answer before Bind/Execute, so on a fresh connection (every Worker request) each
 * such statement costs an extra round trip and stops the pipeline. A statement without parameters
 * goes out in one piece, behind BEGIN and in front of COMMIT. Used for tenant-scoped reads only.
 */
export function inlineParams(text: string, params: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, index: string) => {
    const i = Number(index) - 1;
    if (i < 0 || i >= params.length) throw new RangeError(`inlineParams: no value for $${index}`);
    return literal(params[i]);
  });
}

export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  // Quoted, like every other value: a bare -3 after `-` would open a `--` comment, and quoted it stays
  // an untyped literal that takes its column's type, as the parameter would have.
  if (typeof value === 'bigint') return quote(value.toString());
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('inlineParams: non-finite number');
    return quote(String(value));
  }
  if (value instanceof Date) return quote(value.toISOString());
  if (typeof value === 'string') return quote(value);
  // Arrays would need Postgres array syntax, binary a bytea escape: both stay parameters.
  if (value instanceof Uint8Array || Array.isArray(value)) {
    throw new TypeError('inlineParams: binary and array values must stay parameters');
  }
  return quote(JSON.stringify(value));
}

function quote(s: string): string {
  if (s.includes('\u0000')) throw new RangeError('inlineParams: NUL cannot appear in a Postgres string');
  const body = s.replaceAll("'", "''");
  // With backslashes, an E'' literal whose backslashes are doubled means the same under either
  // setting of standard_conforming_strings, exactly as PQescapeLiteral does it.
  return body.includes('\\') ? ` E'${body.replaceAll('\\', '\\\\')}'` : `'${body}'`;
}
