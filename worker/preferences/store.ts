import { eq, sql } from 'drizzle-orm';
import type { TenantTx } from '../../db/client';
import { userPreferences } from '../../db/schema';
import { ApiError } from '../errors';
import { type StoredPreferences, StoredPreferencesSchema } from './schema';

export interface VersionedPreferences {
  preferences: StoredPreferences;
  /** 0 until the first write: a client creates the row with If-Match "0". */
  version: number;
  updatedAt: string | null;
}

/** What If-Match asked for: any existing version (`*`), one version, or nothing (unconditional). */
export type Precondition = { kind: 'any' } | { kind: 'version'; version: number } | { kind: 'none' };

/** One statement, returned un-awaited so it can run in a single pipelined round trip (readTenant). */
export function readPreferences(tx: TenantTx, userId: string): PromiseLike<VersionedPreferences> {
  return tx
    .select({
      preferences: userPreferences.preferences,
      version: userPreferences.version,
      updatedAt: userPreferences.updatedAt,
    })
    .from(userPreferences)
    .where(eq(userPreferences.userId, userId))
    .then(([row]) =>
      row
        ? {
            preferences: row.preferences as StoredPreferences,
            version: row.version,
            updatedAt: row.updatedAt.toISOString(),
          }
        : { preferences: {}, version: 0, updatedAt: null },
    );
}

const stale = (current: number) =>
  new ApiError(412, {
    code: 'precondition_failed',
    message: `The preferences changed (now version ${current}); reload and retry`,
    details: { current_version: current },
  });

/**
 * Read-modify-write under a row lock, so concurrent writers serialise: with If-Match, exactly one
 * writer per version wins and the others get 412; without it, no update is lost (each sees the last),
 * including two first writes racing to create the row (the loser applies its change to the winner's).
 */
export async function writePreferences(
  tx: TenantTx,
  target: { tenantId: string; userId: string },
  precondition: Precondition,
  update: (current: StoredPreferences) => unknown,
  retried = false,
): Promise<VersionedPreferences> {
  const [row] = await tx
    .select({ preferences: userPreferences.preferences, version: userPreferences.version })
    .from(userPreferences)
    .where(eq(userPreferences.userId, target.userId))
    .for('update');
  const version = row?.version ?? 0;
  if (precondition.kind === 'version' && precondition.version !== version) throw stale(version);
  if (precondition.kind === 'any' && !row) throw stale(0);

  // Validated after merging: a patch can only produce a document the schema accepts.
  const next = StoredPreferencesSchema.parse(update((row?.preferences ?? {}) as StoredPreferences));

  const [written] = row
    ? await tx
        .update(userPreferences)
        .set({ preferences: next, version: sql`${userPreferences.version} + 1` })
        .where(eq(userPreferences.userId, target.userId))
        .returning()
    : await tx
        .insert(userPreferences)
        .values({ tenantId: target.tenantId, userId: target.userId, preferences: next })
        // A concurrent first write created the row after our read: theirs won this version.
        .onConflictDoNothing({ target: userPreferences.userId })
        .returning();
  if (!written) {
    // Unconditional writes go after whatever is there: now that the row exists, once more under its lock.
    if (precondition.kind === 'none' && !retried) return writePreferences(tx, target, precondition, update, true);
    throw stale(1);
  }
  return {
    preferences: written.preferences as StoredPreferences,
    version: written.version,
    updatedAt: written.updatedAt.toISOString(),
  };
}
