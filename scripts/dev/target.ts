import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

/**
 * Where each part of a running stack is, as `npm run verify` needs it. `npm run dev` writes one to
 * `<data dir>/stack.json` while it runs; the Docker path's is built from the published ports.
 */
export const targetSchema = z.object({
  kind: z.enum(['local', 'docker']),
  apiUrl: z.url(),
  siteUrl: z.url().nullable(),
  /** An owner/admin connection: verify reads the catalog, never tenant rows. */
  databaseUrl: z.url(),
  upstash: z.object({ url: z.url(), token: z.string().min(1) }).nullable(),
  traces: z.discriminatedUnion('kind', [
    /** scripts/otlp-receiver.ts: `GET /spans` lists what it received. */
    z.object({ kind: z.literal('otlp-receiver'), url: z.url() }),
    /** Jaeger's query API: `GET /api/traces/<trace id>`. */
    z.object({ kind: z.literal('jaeger'), url: z.url() }),
    z.object({ kind: z.literal('none'), reason: z.string() }),
  ]),
  /** Prometheus's query API, where metrics are not read from the local OTLP receiver (`<traces url>/metrics`). */
  metrics: z.object({ kind: z.literal('prometheus'), url: z.url() }).optional(),
  logs: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('file'), path: z.string().min(1) }),
    z.object({ kind: z.literal('docker-compose'), service: z.string().min(1) }),
  ]),
});

export type StackTarget = z.infer<typeof targetSchema>;

export function writeTarget(file: string, target: StackTarget) {
  mkdirSync(dirname(file), { recursive: true });
  // It holds the local superuser password and the endpoint token.
  writeFileSync(file, `${JSON.stringify(target, null, 2)}\n`, { mode: 0o600 });
}

export function readTarget(file: string): StackTarget {
  return targetSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

export function removeTarget(file: string) {
  rmSync(file, { force: true });
}
