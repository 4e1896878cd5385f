import postgres from 'postgres';
import type { LoadUser, Problem } from './traffic';

/**
 * Reads every user's stored document as the owner (no RLS in the way) and checks it against the writes
 * the API acknowledged: the last acknowledged write (highest version) is what is stored, and every
 * version from 1 up was acknowledged exactly once (none lost, none committed behind an error).
 */
export async function checkFinalState(ownerUrl: string, users: LoadUser[]): Promise<Problem[]> {
  const sql = postgres(ownerUrl, { max: 1, fetch_types: false, onnotice: () => {} });
  try {
    const rows = await sql<{ user_id: string; tenant_id: string; version: number; genre: string | null }[]>`
      select user_id, tenant_id, version, preferences->>'default_genre' as genre
      from user_preferences where user_id in ${sql(users.map((u) => u.userId))}`;
    const byUser = new Map(rows.map((row) => [row.user_id, row]));
    const problems: Problem[] = [];
    const inconsistent = (user: LoadUser, detail: string) =>
      problems.push({ kind: 'error', detail: `final state of ${user.tag}: ${detail}` });
    for (const user of users) {
      const row = byUser.get(user.userId);
      const versions = [...user.acked.keys()];
      if (versions.length === 0) {
        if (row) inconsistent(user, `no write was acknowledged, yet version ${row.version} is stored`);
        continue;
      }
      const last = Math.max(...versions);
      if (!row) {
        inconsistent(user, `${versions.length} writes acknowledged, nothing stored`);
        continue;
      }
      if (row.tenant_id !== user.tenantId) inconsistent(user, `stored under tenant ${row.tenant_id}`);
      if (row.version !== last) inconsistent(user, `stored version ${row.version}, last acknowledged ${last}`);
      if (row.genre !== user.acked.get(last)) {
        inconsistent(user, `stored "${row.genre}", last acknowledged "${user.acked.get(last)}"`);
      }
      if (versions.length !== row.version) {
        inconsistent(user, `${versions.length} writes acknowledged for ${row.version} versions stored`);
      }
    }
    return problems;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
