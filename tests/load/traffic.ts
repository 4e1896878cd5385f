import { z } from 'zod';
import type { Caller } from '../../bench/lib/identity';

/** A caller of the load run, with what it has written: `load:<tenant>:<user>:<seq>` genres, seq rising. */
export type LoadUser = Caller & {
  /** `t<tenant>u<user>`: written into every document this user stores, so a leak names its owner. */
  tag: string;
  nextSeq: number;
  /** The last version any response showed this user (for If-Match). */
  seenVersion: number;
  /** Acknowledged writes: version the API gave the write -> what was written. */
  acked: Map<number, string>;
};

export type Problem = { kind: 'error' | 'leak'; detail: string };

export type TrafficStats = {
  requests: number;
  byOperation: Record<string, number>;
  statuses: Record<string, number>;
  /** Milliseconds, every request. */
  latencies: number[];
  problems: Problem[];
  preconditionFailed: number;
};

const Preferences = z.object({
  preferences: z.object({ default_genre: z.string().nullable() }).loose(),
  version: z.int().min(0),
});
const Me = z.object({
  user: z.object({ id: z.string(), clerk_user_id: z.string() }),
  tenant: z.object({ id: z.string() }),
});

const GENRE = /^load:(t\d+u\d+):(\d+)$/;

/**
 * One connection's worth of traffic: until `deadline` or the shared request budget runs out, a random
 * user does a random operation (read preferences, read /v1/me, merge-patch preferences with or without
 * If-Match), and every answer is checked against who asked. Loops share `stats`.
 */
export async function runConnection(
  apiUrl: string,
  users: LoadUser[],
  stats: TrafficStats,
  { deadline, budget }: { deadline: number; budget: { left: number } },
) {
  while (Date.now() < deadline && budget.left-- > 0) {
    const user = users[Math.floor(Math.random() * users.length)] as LoadUser;
    const roll = Math.random();
    const operation = roll < 0.5 ? 'read' : roll < 0.65 ? 'me' : roll < 0.85 ? 'write' : 'write-if-match';
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
    const problem = (kind: Problem['kind'], detail: string) =>
      stats.problems.push({ kind, detail: `${operation} as ${user.tag}: ${detail}` });

    const headers: Record<string, string> = { Authorization: `Bearer ${user.token}` };
    let init: RequestInit = { headers };
    let genre: string | undefined;
    if (operation.startsWith('write')) {
      genre = `load:${user.tag}:${user.nextSeq++}`;
      headers['Content-Type'] = 'application/merge-patch+json';
      if (operation === 'write-if-match') headers['If-Match'] = `"${user.seenVersion}"`;
      init = { method: 'PATCH', headers, body: JSON.stringify({ default_genre: genre }) };
    }
    const path = operation === 'me' ? '/v1/me' : '/v1/preferences';

    const started = performance.now();
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${apiUrl}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
      text = await response.text();
    } catch (error) {
      stats.latencies.push(performance.now() - started);
      stats.requests++;
      stats.statuses.failed = (stats.statuses.failed ?? 0) + 1;
      problem('error', `no response: ${error instanceof Error ? error.message : error}`);
      continue;
    }
    stats.latencies.push(performance.now() - started);
    stats.requests++;
    stats.statuses[response.status] = (stats.statuses[response.status] ?? 0) + 1;

    // A stale If-Match is the API doing its job, not an error.
    if (response.status === 412 && operation === 'write-if-match') {
      stats.preconditionFailed++;
      continue;
    }
    if (response.status !== 200) {
      problem('error', `status ${response.status}: ${text.slice(0, 200)}`);
      continue;
    }
    const body: unknown = JSON.parse(text);

    if (operation === 'me') {
      const me = Me.safeParse(body);
      if (!me.success) problem('error', `unexpected body ${text.slice(0, 200)}`);
      else if (
        me.data.user.id !== user.userId ||
        me.data.user.clerk_user_id !== user.clerkUserId ||
        me.data.tenant.id !== user.tenantId
      ) {
        problem('leak', `got user ${me.data.user.id} (${me.data.user.clerk_user_id}) in tenant ${me.data.tenant.id}`);
      }
      continue;
    }

    const doc = Preferences.safeParse(body);
    if (!doc.success) {
      problem('error', `unexpected body ${text.slice(0, 200)}`);
      continue;
    }
    const stored = doc.data.preferences.default_genre;
    const owner = stored === null ? null : stored.match(GENRE)?.[1];
    if (stored !== null && owner !== user.tag) problem('leak', `got a document holding "${stored}"`);
    user.seenVersion = Math.max(user.seenVersion, doc.data.version);
    if (genre !== undefined) {
      if (stored !== genre) problem('error', `wrote "${genre}", the answer holds "${stored}"`);
      if (user.acked.has(doc.data.version)) {
        problem('error', `version ${doc.data.version} acknowledged twice (a lost update)`);
      }
      user.acked.set(doc.data.version, genre);
    }
  }
}
