import type { Tenant, User } from '../../db/schema';

/** JSON shapes of the API (snake_case, ISO dates); also what the membership cache stores. */
export interface TenantView {
  id: string;
  name: string;
  slug: string;
  plan: Tenant['plan'];
  status: Tenant['status'];
  trial_ends_at: string | null;
}

export interface UserView {
  id: string;
  clerk_user_id: string;
  email: string | null;
  name: string | null;
  role: User['role'];
}

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
