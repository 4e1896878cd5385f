/** Fields every line carries that a person at the terminal does not need to see again and again. */
const UNSHOWN = new Set(['timestamp', 'level', 'message', 'service', 'environment', 'span_id', 'correlation_id']);
const REQUEST = new Set(['method', 'path', 'route', 'status', 'duration_ms']);

/**
 * One of the Worker's JSON log lines as one readable line: time, level, what happened, then the
 * other fields as key=value (ids shortened to their first 8 characters, enough to grep the JSON).
 * Anything that is not such a line comes back unchanged.
 *
 *   23:03:38.534 INFO  GET /v1/me 200 83 ms  trace=38b6cb6a request=7cd4adcd
 */
export function prettyLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.message !== 'string' || !entry.level) return line;
  const time = typeof entry.timestamp === 'string' ? entry.timestamp.slice(11, 23) : '';
  const level = String(entry.level).toUpperCase().padEnd(5);
  const what =
    entry.message === 'request' && entry.method
      ? `${entry.method} ${entry.path} ${entry.status} ${entry.duration_ms} ms`
      : entry.message;
  const rest = Object.entries(entry)
    .filter(([key]) => !UNSHOWN.has(key) && !(entry.message === 'request' && REQUEST.has(key)))
    .map(([key, value]) => `${key.replace(/_id$/, '')}=${show(key, value)}`);
  return [time, level, what, rest.length ? ` ${rest.join(' ')}` : ''].filter(Boolean).join(' ');
}

function show(key: string, value: unknown): string {
  if (key.endsWith('_id') && typeof value === 'string') return value.slice(0, 8);
  return typeof value === 'string' ? value : JSON.stringify(value);
}
