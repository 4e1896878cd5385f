import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import { cachedMembership } from '../tenancy/membership-cache';
import { provisioned, provisionMembership, roleFor } from '../tenancy/provision';
import { tenantView, userView } from '../tenancy/views';
import type { AuthVariables, DatabaseVariables, RedisVariables, SettingsVariables, TenantVariables } from '../types';

/**
 * Resolves the caller's tenant (derived from the verified token by auth) to its rows, provisioning
 * tenant and user on first sight, and puts both on the context. Mount after the rate limit: a refused
 * request must not write. Resolution is cached in Redis: most requests pay no database trip for it.
 */
export function tenant(): MiddlewareHandler<{
  Variables: SettingsVariables & AuthVariables & DatabaseVariables & RedisVariables & TenantVariables;
}> {
  return async function tenant(c, next) {
    const auth = c.get('auth');
    const key = auth.tenant;
    const { tenancy, cache } = c.get('settings');
    const who = { tenantId: key.id, clerkUserId: auth.userId, role: roleFor(key, auth) };
    const membership = await cachedMembership(c.get('redis'), who, cache.tenantTtlSeconds, async () => {
      const defaultName = auth.orgSlug ?? (key.kind === 'personal' ? 'Personal workspace' : 'Workspace');
      const row = provisioned(
        await c
          .get('db')
          .writeTenant(key.id, (tx) =>
            provisionMembership(tx, auth, key, { trialDays: tenancy.trialDays, defaultName }),
          ),
      );
      return { tenant: tenantView(row.tenant), user: userView(row.user) };
    });
    if (membership.tenant.status !== 'active') {
      throw new ApiError(403, { code: 'tenant_inactive', message: `This workspace is ${membership.tenant.status}` });
    }
    c.set('tenant', membership.tenant);
    c.set('user', membership.user);
    await next();
  };
}
