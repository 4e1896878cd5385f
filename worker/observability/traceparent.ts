/** W3C Trace Context ids (https://www.w3.org/TR/trace-context/#traceparent-header). */
export type TraceIds = { traceId: string; spanId: string; sampled: boolean };

// version-traceid-parentid-flags; later versions may append fields, version ff is forbidden.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZEROS = /^0+$/;

/** The ids of a well-formed `traceparent`, or null (the spec says to ignore a malformed one). */
export function parseTraceparent(header: string | undefined | null): TraceIds | null {
  if (!header || header.length > 512) return null;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return null;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (ALL_ZEROS.test(traceId) || ALL_ZEROS.test(spanId)) return null;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent({ traceId, spanId, sampled }: TraceIds): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Random hex of `bytes` bytes, never all zeros (an invalid id). Runs twice per request: kept cheap. */
export function randomId(bytes: 8 | 16): string {
  const buffer = new Uint8Array(bytes);
  do crypto.getRandomValues(buffer);
  while (buffer.every((b) => b === 0));
  let hex = '';
  for (const b of buffer) hex += HEX[b];
  return hex;
}
