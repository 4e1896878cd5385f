import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { tenants, users } from '../../db/schema';
import { notFound } from '../errors';
import { createRouter } from '../openapi';
import { errorResponses, json, TenantSchema, UserSchema } from '../schemas/common';
import { tenantView, trialStatus, userView } from '../tenancy/views';

const MeSchema = z.object({ user: UserSchema, tenant: TenantSchema }).openapi('Me');

const route = createRoute({
  method: 'get',
  path: '/me',
  tags: ['identity'],
  summary: 'The signed-in user, their tenant and its trial status',
  security: [{ bearerAuth: [] }],
  responses: { 200: json(MeSchema, 'The caller'), ...errorResponses },
});

export const me = createRouter().openapi(route, async (c) => {
  const { tenant, user } = c.var;
  // Read fresh (the resolution cache may be minutes old): one scoped round trip.
  const [row] = await c.get('db').readTenant(tenant.id, (tx) =>
    tx
      .select({ tenant: tenants, user: users })
      .from(users)
      .innerJoin(tenants, eq(tenants.id, users.tenantId))
      .where(and(eq(users.id, user.id), eq(users.tenantId, tenant.id))),
  );
  if (!row) throw notFound('User');
  const t = tenantView(row.tenant);
  return c.json({ user: userView(row.user), tenant: { ...t, trial: trialStatus(t) } }, 200);
});
