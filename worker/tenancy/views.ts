import { z } from 'zod';
import { TENANT_PLANS, TENANT_STATUSES, type Tenant, USER_ROLES, type User } from '../../db/schema';

/**
 * The JSON shapes of the API (snake_case, ISO dates), and what the membership cache stores: the
 * OpenAPI schemas, the cache's validation and the types below all derive from these two.
 */
export const TenantViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  plan: z.enum(TENANT_PLANS),
  status: z.enum(TENANT_STATUSES),
  trial_ends_at: z.iso.datetime().nullable(),
});

export const UserViewSchema = z.object({
  id: z.uuid(),
  clerk_user_id: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  role: z.enum(USER_ROLES),
});

export type TenantView = z.infer<typeof TenantViewSchema>;
export type UserView = z.infer<typeof UserViewSchema>;

export const tenantView = (t: Tenant): TenantView => ({
  id: t.id,
  name: t.name,
  slug: t.slug,
  plan: t.plan,
  status: t.status,
  trial_ends_at: t.trialEndsAt ? new Date(t.trialEndsAt).toISOString() : null,
});

export const userView = (u: User): UserView => ({
  id: u.id,
  clerk_user_id: u.clerkUserId,
  email: u.email,
  name: u.name,
  role: u.role,
});

const DAY_MS = 86_400_000;

/** Trial status is computed when answering, never cached: it changes with the clock alone. */
export function trialStatus(tenant: TenantView, now = Date.now()) {
  if (tenant.plan !== 'trial' || !tenant.trial_ends_at) return { active: false, days_left: 0 };
  const left = Date.parse(tenant.trial_ends_at) - now;
  return { active: left > 0, days_left: Math.max(0, Math.ceil(left / DAY_MS)) };
}
