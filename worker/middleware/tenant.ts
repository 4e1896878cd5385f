import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import { provisionMembership } from '../tenancy/provision';
import { tenantKeyFor } from '../tenancy/tenant-id';
import { type TenantView, tenantView, type UserView, userView } from '../tenancy/views';
import type { AuthVariables } from './auth';
import type { DatabaseVariables } from './database';
import type { SettingsVariables } from './settings';

export type TenantVariables = { tenant: TenantView; user: UserView };

export type MembershipCache = {
  get(key: string): Promise<{ tenant: TenantView; user: UserView } | undefined>;
  set(key: string, value: { tenant: TenantView; user: UserView }, ttlSeconds: number): Promise<void>;
};

/**
 * Resolves the caller's tenant from the verified token, provisioning tenant and user on first sight,
 * and puts both on the context. Resolution is cached: most requests pay no database trip for it.
 */
export function tenant({ cache }: { cache: MembershipCache }): MiddlewareHandler<{
  Variables: SettingsVariables & AuthVariables & DatabaseVariables & TenantVariables;
}> {
  return async function tenant(c, next) {
    const auth = c.var.auth;
    const key = await tenantKeyFor(auth);
    // The role is part of the key so a role change in Clerk takes effect with the next token.
    const cacheKey = `membership:${key.id}:${auth.userId}:${auth.orgRole ?? '-'}`;
    let membership = await cache.get(cacheKey);
    if (!membership) {
      const { tenancy, cache: ttl } = c.var.settings;
      const defaultName = auth.orgSlug ?? (key.kind === 'personal' ? 'Personal workspace' : 'Workspace');
      const row = await c.var.db.withTenant(key.id, (tx) =>
        provisionMembership(tx, auth, key, { trialDays: tenancy.trialDays, defaultName }),
      );
      membership = { tenant: tenantView(row.tenant), user: userView(row.user) };
      await cache.set(cacheKey, membership, ttl.tenantTtlSeconds);
    }
    if (membership.tenant.status !== 'active') {
      throw new ApiError(403, 'tenant_inactive', `This workspace is ${membership.tenant.status}`);
    }
    c.set('tenant', membership.tenant);
    c.set('user', membership.user);
    await next();
  };
}

/** Until Redis backs it: a per-isolate map with expiry, bounded so it cannot grow without limit. */
export function isolateCache(maxEntries = 1_000): MembershipCache {
  const entries = new Map<string, { value: { tenant: TenantView; user: UserView }; expires: number }>();
  return {
    async get(key) {
      const hit = entries.get(key);
      if (!hit) return undefined;
      if (hit.expires > Date.now()) return hit.value;
      entries.delete(key);
      return undefined;
    },
    async set(key, value, ttlSeconds) {
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(key, { value, expires: Date.now() + ttlSeconds * 1000 });
    },
  };
}
