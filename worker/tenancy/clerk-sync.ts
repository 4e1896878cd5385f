import { and, eq } from 'drizzle-orm';
import type { TenantTx } from '../../db/client';
import { tenants, users } from '../../db/schema';
import type { Db } from '../middleware/database';
import { type ClerkEvent, fullName, primaryEmail } from './clerk-events';
import { provisionMembership, tenantSlug } from './provision';
import { uuidV5 } from './tenant-id';

/** The tenant an event touched and the members whose cached membership it made stale. */
export type Affected = { tenantId: string; clerkUserIds: string[] };

/**
 * Applies one Clerk webhook event to tenants/users. Every branch is idempotent (upserts, deletes by
 * key), so Clerk's retries and replays of the same event are harmless. Tenant ids are derived the
 * same way as for tokens, so each event touches exactly one tenant, inside its own RLS scope.
 */
export async function applyClerkEvent(db: Db, event: ClerkEvent, trialDays: number): Promise<Affected> {
  switch (event.type) {
    case 'user.created':
    case 'user.updated': {
      const id = await uuidV5(`user:${event.data.id}`);
      const person = { email: primaryEmail(event.data), name: fullName(event.data.first_name, event.data.last_name) };
      await db.withTenant(id, async (tx) => {
        if (event.type === 'user.created') {
          const auth = { userId: event.data.id, orgRole: null, ...person };
          await provisionMembership(
            tx,
            auth,
            { kind: 'personal', id, clerkOrgId: null },
            {
              trialDays,
              defaultName: 'Personal workspace',
            },
          );
        } else {
          await tx
            .update(users)
            .set(person)
            .where(and(eq(users.tenantId, id), eq(users.clerkUserId, event.data.id)));
        }
      });
      return { tenantId: id, clerkUserIds: [event.data.id] };
    }
    case 'user.deleted': {
      // The personal workspace goes with its only user (rows cascade); org tenants lose the
      // member through organizationMembership.deleted, which Clerk sends as well.
      const id = await uuidV5(`user:${event.data.id}`);
      await db.withTenant(id, (tx) => tx.delete(tenants).where(eq(tenants.id, id)));
      return { tenantId: id, clerkUserIds: [event.data.id] };
    }
    case 'organization.created':
    case 'organization.updated': {
      const id = await uuidV5(`org:${event.data.id}`);
      return db.withTenant(id, async (tx) => {
        await tx
          .insert(tenants)
          .values({
            id,
            name: event.data.name,
            slug: tenantSlug(event.data.slug ?? event.data.name, id),
            clerkOrgId: event.data.id,
          })
          .onConflictDoUpdate({ target: tenants.id, set: { name: event.data.name } });
        return { tenantId: id, clerkUserIds: await memberIds(tx) };
      });
    }
    case 'organization.deleted': {
      // Kept, not deleted: a cancelled tenant's data outlives an accidental org deletion.
      const id = await uuidV5(`org:${event.data.id}`);
      return db.withTenant(id, async (tx) => {
        await tx.update(tenants).set({ status: 'cancelled' }).where(eq(tenants.id, id));
        return { tenantId: id, clerkUserIds: await memberIds(tx) };
      });
    }
    case 'organizationMembership.created':
    case 'organizationMembership.updated':
    case 'organizationMembership.deleted': {
      const { organization, public_user_data: member, role } = event.data;
      const id = await uuidV5(`org:${organization.id}`);
      await db.withTenant(id, async (tx) => {
        if (event.type === 'organizationMembership.deleted') {
          await tx.delete(users).where(and(eq(users.tenantId, id), eq(users.clerkUserId, member.user_id)));
          return;
        }
        const auth = {
          userId: member.user_id,
          orgRole: role,
          email: member.identifier ?? null,
          name: fullName(member.first_name, member.last_name),
        };
        await provisionMembership(
          tx,
          auth,
          { kind: 'org', id, clerkOrgId: organization.id },
          {
            trialDays,
            defaultName: organization.name ?? organization.slug ?? 'Workspace',
          },
        );
      });
      return { tenantId: id, clerkUserIds: [member.user_id] };
    }
  }
}

/** Every member's cached membership carries the tenant's status and name. */
async function memberIds(tx: TenantTx) {
  const rows = await tx.select({ id: users.clerkUserId }).from(users);
  return rows.map((r) => r.id);
}
