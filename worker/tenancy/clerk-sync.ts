import { and, eq, lt, sql } from 'drizzle-orm';
import type { Db, TenantTx } from '../../db/client';
import { clerkEntityVersions, clerkWebhookDeliveries, tenants, users } from '../../db/schema';
import { type ClerkEvent, fullName, primaryEmail } from './clerk-events';
import { provisionMembership, tenantSlug } from './provision';
import { uuidV5 } from './tenant-id';

/** The tenant an event touched and the members whose cached membership it made stale. */
export type Affected = { tenantId: string; clerkUserIds: string[] };

/** `applied`, or why not: the same delivery seen before, or an older event than the entity's newest. */
export type Outcome = { outcome: 'applied'; affected: Affected } | { outcome: 'duplicate' | 'stale' };

/** One Svix delivery: its message id and the event's own time (Clerk's `timestamp`, ms). */
export type Delivery = { svixId: string; eventAt: number };

// Long past Svix's last retry (about a day): a delivery id older than this cannot come back signed.
const DELIVERY_RETENTION = sql`now() - interval '30 days'`;

/**
 * Applies one Clerk webhook delivery exactly once and in order per entity: inside the event's tenant
 * transaction it records the Svix id (a replay finds it and stops) and the event time per entity (an
 * older event arriving late stops), then applies. A failure rolls all three back, so Svix's retry
 * finds nothing recorded.
 */
export async function applyClerkDelivery(
  db: Db,
  event: ClerkEvent,
  delivery: Delivery,
  trialDays: number,
): Promise<Outcome> {
  const { tenantId, entity } = await targetOf(event);
  return db.withTenant(tenantId, async (tx) => {
    const [fresh] = await tx
      .insert(clerkWebhookDeliveries)
      .values({ svixId: delivery.svixId, tenantId })
      .onConflictDoNothing()
      .returning({ id: clerkWebhookDeliveries.svixId });
    if (!fresh) return { outcome: 'duplicate' as const };
    const [newer] = await tx
      .insert(clerkEntityVersions)
      .values({ tenantId, entity, eventAt: delivery.eventAt })
      .onConflictDoUpdate({
        target: [clerkEntityVersions.tenantId, clerkEntityVersions.entity],
        set: { eventAt: delivery.eventAt, updatedAt: sql`now()` },
        setWhere: lt(clerkEntityVersions.eventAt, delivery.eventAt),
      })
      .returning({ eventAt: clerkEntityVersions.eventAt });
    if (!newer) return { outcome: 'stale' as const };
    await tx
      .delete(clerkWebhookDeliveries)
      .where(
        and(eq(clerkWebhookDeliveries.tenantId, tenantId), lt(clerkWebhookDeliveries.receivedAt, DELIVERY_RETENTION)),
      );
    return { outcome: 'applied' as const, affected: await applyClerkEvent(tx, tenantId, event, trialDays) };
  });
}

/** The one tenant an event touches (ids derived as for tokens) and the entity whose order it follows. */
async function targetOf(event: ClerkEvent): Promise<{ tenantId: string; entity: string }> {
  switch (event.type) {
    case 'user.created':
    case 'user.updated':
    case 'user.deleted':
      return { tenantId: await uuidV5(`user:${event.data.id}`), entity: `user:${event.data.id}` };
    case 'organization.created':
    case 'organization.updated':
    case 'organization.deleted':
      return { tenantId: await uuidV5(`org:${event.data.id}`), entity: `org:${event.data.id}` };
    default:
      return {
        tenantId: await uuidV5(`org:${event.data.organization.id}`),
        entity: `membership:${event.data.public_user_data.user_id}`,
      };
  }
}

/** Applies one Clerk event to tenants/users inside the event's tenant (`id`). Every branch is idempotent. */
async function applyClerkEvent(tx: TenantTx, id: string, event: ClerkEvent, trialDays: number): Promise<Affected> {
  switch (event.type) {
    case 'user.created':
    case 'user.updated': {
      const person = { email: primaryEmail(event.data), name: fullName(event.data.first_name, event.data.last_name) };
      if (event.type === 'user.created') {
        const auth = { userId: event.data.id, orgRole: null, ...person };
        const key = { kind: 'personal' as const, id, clerkOrgId: null };
        await Promise.all(provisionMembership(tx, auth, key, { trialDays, defaultName: 'Personal workspace' }));
      } else {
        await tx
          .update(users)
          .set(person)
          .where(and(eq(users.tenantId, id), eq(users.clerkUserId, event.data.id)));
      }
      return { tenantId: id, clerkUserIds: [event.data.id] };
    }
    case 'user.deleted':
      // The personal workspace goes with its only user (rows cascade); org tenants lose the
      // member through organizationMembership.deleted, which Clerk sends as well.
      await tx.delete(tenants).where(eq(tenants.id, id));
      return { tenantId: id, clerkUserIds: [event.data.id] };
    case 'organization.created':
    case 'organization.updated':
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
    case 'organization.deleted':
      // Kept, not deleted: a cancelled tenant's data outlives an accidental org deletion.
      await tx.update(tenants).set({ status: 'cancelled' }).where(eq(tenants.id, id));
      return { tenantId: id, clerkUserIds: await memberIds(tx) };
    case 'organizationMembership.created':
    case 'organizationMembership.updated':
    case 'organizationMembership.deleted': {
      const { organization, public_user_data: member, role } = event.data;
      if (event.type === 'organizationMembership.deleted') {
        await tx.delete(users).where(and(eq(users.tenantId, id), eq(users.clerkUserId, member.user_id)));
      } else {
        const auth = {
          userId: member.user_id,
          orgRole: role,
          email: member.identifier ?? null,
          name: fullName(member.first_name, member.last_name),
        };
        const key = { kind: 'org' as const, id, clerkOrgId: organization.id };
        await Promise.all(
          provisionMembership(tx, auth, key, {
            trialDays,
            defaultName: organization.name ?? organization.slug ?? 'Workspace',
          }),
        );
      }
      return { tenantId: id, clerkUserIds: [member.user_id] };
    }
  }
}

/** Every member's cached membership carries the tenant's status and name. */
async function memberIds(tx: TenantTx) {
  const rows = await tx.select({ id: users.clerkUserId }).from(users);
  return rows.map((r) => r.id);
}
