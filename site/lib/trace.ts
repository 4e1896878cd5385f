const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function randomNonZero(length: number): string {
  const bytes = new Uint8Array(length);
  // W3C Trace Context forbids all-zero ids; a retry is astronomically rare.
  do crypto.getRandomValues(bytes);
  while (bytes.every((b) => b === 0));
  return hex(bytes);
}

/** A W3C `traceparent` that starts a new, sampled trace: one per request, so each is its own root in the API's traces. */
export function newTraceparent(): string {
  return `00-${randomNonZero(16)}-${randomNonZero(8)}-01`;
}

/** The trace id inside a traceparent, for showing next to an error. */
export function traceIdOf(traceparent: string): string | null {
  return /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent)?.[1] ?? null;
}
