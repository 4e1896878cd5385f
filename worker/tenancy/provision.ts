import { and, eq, sql } from 'drizzle-orm';
import type { TenantTx } from '../../db/client';
import { type Tenant, tenants, type User, users } from '../../db/schema';
import type { AuthContext } from '../identity';
import type { TenantKey } from './tenant-id';

export interface MembershipRows {
  tenant: Tenant;
  user: User;
}

/**
 * Creates the tenant and the user on first sight and returns both; later calls only refresh what
 * the token says (role, email). Idempotent under concurrency: inserts are ON CONFLICT, so N parallel
 * first requests leave exactly one tenant row and one user row. Runs inside withTenant(key.id).
 */
export async function provisionMembership(
  tx: TenantTx,
  auth: Pick<AuthContext, 'userId' | 'orgRole' | 'email' | 'name'>,
  key: TenantKey,
  options: { trialDays: number; defaultName: string },
): Promise<MembershipRows> {
  const name = options.defaultName.slice(0, 200);
  await tx
    .insert(tenants)
    .values({
      id: key.id,
      name,
      slug: tenantSlug(name, key.id),
      clerkOrgId: key.clerkOrgId,
      trialEndsAt: sql`now() + make_interval(days => ${options.trialDays})`,
    })
    // No conflict target: a racing first request trips the slug or clerk_org_id index as often as
    // the primary key, and ON CONFLICT (id) would let those surface as errors.
    .onConflictDoNothing();

  const role = roleFor(key, auth);
  const email = sql`coalesce(excluded.email, ${users.email})`;
  const name_ = sql`coalesce(excluded.name, ${users.name})`;
  const [upserted] = await tx
    .insert(users)
    .values({ tenantId: key.id, clerkUserId: auth.userId, email: auth.email, name: auth.name, role })
    .onConflictDoUpdate({
      target: [users.tenantId, users.clerkUserId],
      set: { role, email, name: name_ },
      // Steady state writes nothing: a request is not a reason to touch the row (or its updated_at).
      setWhere: sql`(${users.role}, ${users.email}, ${users.name}) is distinct from (excluded.role, ${email}, ${name_})`,
    })
    .returning();
  const [user] = upserted
    ? [upserted]
    : await tx
        .select()
        .from(users)
        .where(and(eq(users.tenantId, key.id), eq(users.clerkUserId, auth.userId)));
  const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, key.id));
  if (!tenant || !user) throw new Error('provisioning returned no rows: is the tenant setting in force?');
  return { tenant, user };
}

/** Personal workspaces belong to their one user; in an organization the org role decides. */
export function roleFor(key: TenantKey, auth: Pick<AuthContext, 'orgRole'>): User['role'] {
  return key.kind === 'personal' || auth.orgRole === 'org:admin' ? 'admin' : 'member';
}

/** Readable, and unique because it ends with the whole tenant id: a slug can never block a tenant. */
export function tenantSlug(name: string, tenantId: string) {
  return `${slugify(name)}-${tenantId.replaceAll('-', '')}`;
}

function slugify(text: string) {
  const slug = text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return slug || 'workspace';
}
