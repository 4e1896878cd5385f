import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { TenantTx } from '../../db/client';
import { userPreferences } from '../../db/schema';
import { ApiError } from '../errors';
import type { PreferencesPatch, StoredPreferences } from './schema';

export interface VersionedPreferences {
  preferences: StoredPreferences;
  /** 0 until the first write: a client creates the row with If-Match "0". */
  version: number;
  updatedAt: string | null;
}

/** What If-Match asked for: any existing version (`*`), one version, or nothing (unconditional). */
export type Precondition = { kind: 'any' } | { kind: 'version'; version: number } | { kind: 'none' };

/** One statement, returned un-awaited so it runs in one round trip (readTenant). */
export function readPreferences(tx: TenantTx, userId: string): PromiseLike<VersionedPreferences> {
  return tx
    .select({
      preferences: userPreferences.preferences,
      version: userPreferences.version,
      updatedAt: userPreferences.updatedAt,
    })
    .from(userPreferences)
    .where(eq(userPreferences.userId, userId))
    .then(([row]) => (row ? versioned(row) : { preferences: {}, version: 0, updatedAt: null }));
}

/** The new document: given whole (PUT), or a merge patch Postgres applies to the stored one (PATCH). */
export type Change = { replace: StoredPreferences } | { patch: PreferencesPatch };

export const stale = (current: number) =>
  new ApiError(412, {
    code: 'precondition_failed',
    message: `The preferences changed (now version ${current}); reload and retry`,
    details: { current_version: current },
  });

/**
 * The write as one statement, so it travels in one round trip (writeTenant) and holds the row lock
 * only while Postgres runs it. Concurrent writers serialise on the row: with If-Match exactly one
 * writer per version wins, and without it no update is lost, since each applies its change to what the
 * last one left (a merge patch is applied to the stored document by `json_merge_patch`, migration 0005),
 * including two first writes racing to create the row. Answers the document written, or nothing when
 * the precondition failed (then `currentVersion` says why).
 *
 * A patch needs no validation after merging: both the stored document and the patch passed the schema,
 * whose keys are all optional and checked one by one, so their merge passes it too.
 */
export function writePreferences(
  tx: TenantTx,
  target: { tenantId: string; userId: string },
  precondition: Precondition,
  change: Change,
): PromiseLike<VersionedPreferences | null> {
  const doc = 'replace' in change ? change.replace : change.patch;
  const next = (current: SQL) =>
    'replace' in change ? sql`${doc}::jsonb` : sql`json_merge_patch(${current}, ${doc}::jsonb)`;
  const written = {
    preferences: userPreferences.preferences,
    version: userPreferences.version,
    updatedAt: userPreferences.updatedAt,
  };
  const bump = { preferences: next(sql`${userPreferences.preferences}`), version: sql`${userPreferences.version} + 1` };
  const create = tx
    .insert(userPreferences)
    .values({ tenantId: target.tenantId, userId: target.userId, preferences: next(sql`'{}'::jsonb`) });
  const update = (where: SQL | undefined) => tx.update(userPreferences).set(bump).where(where).returning(written);
  const byUser = eq(userPreferences.userId, target.userId);
  const query =
    precondition.kind === 'none'
      ? create.onConflictDoUpdate({ target: userPreferences.userId, set: bump }).returning(written)
      : precondition.kind === 'any'
        ? update(byUser)
        : precondition.version === 0
          ? create.onConflictDoNothing({ target: userPreferences.userId }).returning(written)
          : update(and(byUser, eq(userPreferences.version, precondition.version)));
  return query.then(([row]) => (row ? versioned(row) : null));
}

/** The stored version (0 without a row): what a failed precondition reports. */
export function currentVersion(tx: TenantTx, userId: string): PromiseLike<number> {
  return tx
    .select({ version: userPreferences.version })
    .from(userPreferences)
    .where(eq(userPreferences.userId, userId))
    .then(([row]) => row?.version ?? 0);
}

function versioned(row: { preferences: unknown; version: number; updatedAt: Date }): VersionedPreferences {
  return {
    preferences: row.preferences as StoredPreferences,
    version: row.version,
    updatedAt: row.updatedAt.toISOString(),
  };
}
