import { eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../db/client';
import { tenants, users } from '../../db/schema';
import { createTenant, createUser } from '../support/db';

const owner = postgres(inject('ownerDatabaseUrl'), { max: 1, onnotice: () => {}, fetch_types: false });
let tenant: string;
let userId: string;

beforeAll(async () => {
  tenant = await createTenant(owner);
  userId = (await createUser(owner, tenant)).id;
});
afterAll(() => owner.end());

describe('readTenant and withTenant misuse fails loudly', () => {
  it('a second statement chained inside readTenant is refused, not run without a tenant after COMMIT', async () => {
    const db = createDatabase(inject('appDatabaseUrl'));
    try {
      const chained = db.readTenant(tenant, (tx) =>
        tx
          .select()
          .from(users)
          .then(() => tx.select().from(tenants)),
      );
      // drizzle wraps the refusal in its "Failed query" error.
      await expect(chained).rejects.toMatchObject({ cause: { message: expect.stringMatching(/outside withTenant/) } });
      // The connection is still usable and scoped correctly afterwards.
      const rows = await db.readTenant(tenant, (tx) =>
        tx.select({ id: users.id }).from(users).where(eq(users.id, userId)),
      );
      expect(rows).toEqual([{ id: userId }]);
    } finally {
      await db.close();
    }
  });

  it('a statement that fails to build inside readTenant leaves no transaction open', async () => {
    const db = createDatabase(inject('appDatabaseUrl'));
    try {
      const broken = db.readTenant(tenant, () => {
        throw new Error('bad query');
      });
      await expect(broken).rejects.toThrow('bad query');
      // Had BEGIN READ ONLY stayed open, this write would fail as read-only.
      await db.withTenant(tenant, (tx) => tx.update(users).set({ name: 'after' }).where(eq(users.id, userId)));
      const [row] = await owner`select name from users where id = ${userId}`;
      expect(row?.name).toBe('after');
    } finally {
      await db.close();
    }
  });

  it('withTenant whose fn swallowed a failed statement reports the rollback instead of success', async () => {
    const db = createDatabase(inject('appDatabaseUrl'));
    try {
      const attempt = db.withTenant(tenant, async (tx) => {
        await tx.update(users).set({ name: 'lost' }).where(eq(users.id, userId));
        await tx
          .insert(users)
          .values({ tenantId: crypto.randomUUID(), clerkUserId: 'x' })
          .catch(() => {});
        return 'ok';
      });
      await expect(attempt).rejects.toThrow(/rolled back/);
      const [row] = await owner`select name from users where id = ${userId}`;
      expect(row?.name).not.toBe('lost');
    } finally {
      await db.close();
    }
  });
});
