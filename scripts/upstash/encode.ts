/**
 * Redis replies as the Upstash REST API writes them into `{"result": ...}`: integers stay numbers,
 * nil is null, arrays nest. With `Upstash-Encoding: base64` every string is base64 of its raw bytes,
 * except a top-level "OK" (the client special-cases exactly that one). Without it, bytes are read as
 * UTF-8 and invalid sequences become U+FFFD, as the service documents.
 */
export type Reply = null | number | string | Buffer | Error | Reply[];
export type Encoded = null | number | string | Encoded[];

export function encodeReply(reply: Reply, base64: boolean, topLevel = true): Encoded {
  if (reply === null || typeof reply === 'number') return reply;
  if (Array.isArray(reply)) return reply.map((item) => encodeReply(item, base64, false));
  // An error nested in an array (a Lua table holding one) has no JSON shape of its own: send its text.
  const bytes = reply instanceof Error ? Buffer.from(reply.message) : Buffer.from(reply);
  if (!base64) return bytes.toString('utf8');
  if (topLevel && typeof reply === 'string' && reply === 'OK') return reply;
  return bytes.toString('base64');
}
