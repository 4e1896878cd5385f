import { z } from 'zod';
import { TENANT_PLANS, TENANT_STATUSES, USER_ROLES } from '../../db/schema';
import { cached, tenantCacheKey } from '../redis/cache';
import type { RedisAccess } from '../redis/client';
import type { TenantView, UserView } from './views';

export type Membership = { tenant: TenantView; user: UserView };

const MembershipSchema: z.ZodType<Membership> = z.object({
  tenant: z.object({
    id: z.uuid(),
    name: z.string(),
    slug: z.string(),
    plan: z.enum(TENANT_PLANS),
    status: z.enum(TENANT_STATUSES),
    trial_ends_at: z.iso.datetime().nullable(),
  }),
  user: z.object({
    id: z.uuid(),
    clerk_user_id: z.string(),
    email: z.string().nullable(),
    name: z.string().nullable(),
    role: z.enum(USER_ROLES),
  }),
});

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
