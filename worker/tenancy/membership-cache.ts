import { z } from 'zod';
import { cached, tenantCacheKey } from '../redis/cache';
import type { RedisAccess } from '../redis/client';
import { TenantViewSchema, type UserView, UserViewSchema } from './views';

const MembershipSchema = z.object({ tenant: TenantViewSchema, user: UserViewSchema });

export type Membership = z.infer<typeof MembershipSchema>;

export const membershipKey = (tenantId: string, clerkUserId: string) =>
  tenantCacheKey(tenantId, 'membership', clerkUserId);

/**
 * The caller's tenant and user, read through the tenant's cache (CACHE_TENANT_TTL_SECONDS). One key
 * per member, so webhooks can drop it exactly; an entry whose role the token contradicts is reloaded,
 * so a role change in Clerk takes effect with the next token.
 */
export function cachedMembership(
  redis: RedisAccess,
  who: { tenantId: string; clerkUserId: string; role: UserView['role'] },
  ttlSeconds: number,
  load: () => Promise<Membership>,
): Promise<Membership> {
  return cached(
    redis,
    membershipKey(who.tenantId, who.clerkUserId),
    {
      ttlSeconds,
      schema: MembershipSchema,
      // An entry must describe exactly this caller in this tenant, whatever was written under its key.
      accept: (m) =>
        m.tenant.id === who.tenantId && m.user.clerk_user_id === who.clerkUserId && m.user.role === who.role,
    },
    load,
  );
}
