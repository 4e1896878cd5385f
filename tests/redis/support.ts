import { randomUUID } from 'node:crypto';
import { Redis, type RedisConfigNodejs } from '@upstash/redis';
import { inject } from 'vitest';

/** `@upstash/redis` as the Worker configures it, against the run's local endpoint. */
export function upstash(options: Partial<RedisConfigNodejs> = {}) {
  return new Redis({
    url: inject('upstashUrl'),
    token: inject('upstashToken'),
    enableTelemetry: false,
    retry: { retries: 0 },
    ...options,
  });
}

const run = randomUUID().slice(0, 8);
const made = new Set<string>();

/** A key no other test uses (files of this project run in parallel); `dropKeys()` removes them all. */
export function key(name: string) {
  const k = `mmtest:${run}:${name}:${randomUUID().slice(0, 8)}`;
  made.add(k);
  return k;
}

export async function dropKeys() {
  if (made.size) await upstash().del(...made);
  made.clear();
}

/** The endpoint on the wire, for what the client hides (status codes, encoding, headers). */
export function raw(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${inject('upstashUrl')}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${inject('upstashToken')}`, ...headers },
    body: JSON.stringify(body),
  });
}
