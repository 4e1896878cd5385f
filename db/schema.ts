import { type SQL, sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgPolicy,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * The tenant the current transaction runs for, set by withTenant() with set_config(..., true).
 * `nullif` because once set in a session the setting reads back as '' (not NULL) after commit,
 * and ''::uuid would raise instead of matching nothing.
 */
export const currentTenantId = sql`nullif(current_setting('app.current_tenant_id', true), '')::uuid`;

const isolation = (column: SQL) =>
  pgPolicy('tenant_isolation_policy', { as: 'permissive', for: 'all', using: column, withCheck: column });

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date()),
};

/** Each list is the one spelling of its values: the column's type, its check and the API's zod enum come from it. */
export const TENANT_PLANS = ['trial', 'free', 'pro', 'enterprise'] as const;
export const TENANT_STATUSES = ['active', 'suspended', 'cancelled'] as const;
export const USER_ROLES = ['admin', 'member'] as const;

// Inlined as literals, not parameters: a check constraint is DDL, and the migrations hold this exact text.
const oneOf = (column: AnyPgColumn, values: readonly string[]) =>
  sql`${column} in (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`;

export const tenants = pgTable(
  'tenants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    slug: text('slug').notNull().unique(),
    plan: text('plan', { enum: TENANT_PLANS }).notNull().default('trial'),
    status: text('status', { enum: TENANT_STATUSES }).notNull().default('active'),
    trialEndsAt: timestamp('trial_ends_at', { withTimezone: true }),
    clerkOrgId: text('clerk_org_id').unique(),
    ...timestamps,
  },
  (t) => [
    check('tenants_plan_check', oneOf(t.plan, TENANT_PLANS)),
    check('tenants_status_check', oneOf(t.status, TENANT_STATUSES)),
    isolation(sql`${t.id} = ${currentTenantId}`),
  ],
);

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    clerkUserId: text('clerk_user_id').notNull(),
    email: text('email'),
    name: text('name'),
    role: text('role', { enum: USER_ROLES }).notNull().default('member'),
    ...timestamps,
  },
  (t) => [
    // One row per (tenant, Clerk user): a Clerk user may belong to several organizations.
    unique('users_tenant_clerk_user_unique').on(t.tenantId, t.clerkUserId),
    // Target of user_preferences' composite key, so a preference row cannot point across tenants.
    unique('users_tenant_id_id_unique').on(t.tenantId, t.id),
    index('users_clerk_user_id_idx').on(t.clerkUserId),
    index('users_email_idx').on(t.email),
    check('users_role_check', oneOf(t.role, USER_ROLES)),
    isolation(sql`${t.tenantId} = ${currentTenantId}`),
  ],
);

export const userPreferences = pgTable(
  'user_preferences',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull().unique(),
    preferences: jsonb('preferences').$type<Record<string, unknown>>().notNull().default({}),
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    foreignKey({
      name: 'user_preferences_user_fk',
      columns: [t.tenantId, t.userId],
      foreignColumns: [users.tenantId, users.id],
    }).onDelete('cascade'),
    index('user_preferences_tenant_id_idx').on(t.tenantId),
    check('user_preferences_version_check', sql`${t.version} >= 1`),
    isolation(sql`${t.tenantId} = ${currentTenantId}`),
  ],
);

/**
 * Clerk webhook deliveries already processed, by Svix message id: a replay (or a retry of a delivery
 * that did get through) is acknowledged without being applied again. No foreign key to tenants: the
 * record must outlive a tenant its event deleted.
 */
export const clerkWebhookDeliveries = pgTable(
  'clerk_webhook_deliveries',
  {
    svixId: text('svix_id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('clerk_webhook_deliveries_tenant_received_idx').on(t.tenantId, t.receivedAt),
    isolation(sql`${t.tenantId} = ${currentTenantId}`),
  ],
);

/**
 * The newest Clerk event applied per entity (`user:<id>`, `org:<id>`, `membership:<user id>`): Svix
 * does not guarantee order, and an older event arriving late (a `.created` after its `.deleted`) must
 * not undo a newer one. Also kept when the tenant is deleted, as a tombstone.
 */
export const clerkEntityVersions = pgTable(
  'clerk_entity_versions',
  {
    tenantId: uuid('tenant_id').notNull(),
    entity: text('entity').notNull(),
    // Clerk's event `timestamp`, milliseconds since the epoch.
    eventAt: bigint('event_at', { mode: 'number' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.entity] }), isolation(sql`${t.tenantId} = ${currentTenantId}`)],
);

export type Tenant = typeof tenants.$inferSelect;
export type User = typeof users.$inferSelect;
export type UserPreferences = typeof userPreferences.$inferSelect;
