import { z } from 'zod';
import type { Settings } from '../config';
import { cached, invalidate, tenantCacheKey } from '../redis/cache';
import type { RedisAccess } from '../redis/client';
import type { TenantView, UserView } from '../tenancy/views';
import { StoredPreferencesSchema } from './schema';
import type { VersionedPreferences } from './store';

const VersionedPreferencesSchema: z.ZodType<VersionedPreferences> = z.object({
  preferences: StoredPreferencesSchema,
  version: z.int().min(0),
  updatedAt: z.iso.datetime().nullable(),
});

type Scope = { redis: RedisAccess; settings: Settings; tenant: TenantView; user: UserView };

/** Keyed by the Clerk user id, which the token carries: the key is known before the user's row is. */
export const preferencesKey = (tenantId: string, clerkUserId: string) => tenantCacheKey(tenantId, 'prefs', clerkUserId);

const keyOf = ({ tenant, user }: Scope) => preferencesKey(tenant.id, user.clerk_user_id);

/** The caller's preferences document, read through the tenant's cache (CACHE_PREFERENCES_TTL_SECONDS; 0 = off). */
export function cachedPreferences(scope: Scope, load: () => Promise<VersionedPreferences>) {
  if (scope.settings.cache.preferencesTtlSeconds === 0) return load();
  const options = { ttlSeconds: scope.settings.cache.preferencesTtlSeconds, schema: VersionedPreferencesSchema };
  return cached(scope.redis, keyOf(scope), options, load);
}

/** After a write: the next read goes to the database. */
export function forgetPreferences(scope: Scope) {
  return invalidate(scope.redis, keyOf(scope));
}
