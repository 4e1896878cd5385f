import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { tenants } from '../../db/schema';
import { ApiError, notFound } from '../errors';
import { createRouter } from '../openapi';
import { ErrorSchema, errorResponses, json, TenantSchema, text } from '../schemas/common';
import { tenantView, trialStatus } from '../tenancy/views';

const TenantUpdateSchema = z.strictObject({ name: text(200).trim().min(1) }).openapi('TenantUpdate');

const getTenant = createRoute({
  method: 'get',
  path: '/tenant',
  tags: ['tenant'],
  summary: "The caller's tenant",
  security: [{ bearerAuth: [] }],
  responses: { 200: json(TenantSchema, 'The tenant'), ...errorResponses },
});

const updateTenant = createRoute({
  method: 'patch',
  path: '/tenant',
  tags: ['tenant'],
  summary: 'Rename the tenant (tenant admins only)',
  security: [{ bearerAuth: [] }],
  request: { body: { content: { 'application/json': { schema: TenantUpdateSchema } }, required: true } },
  responses: {
    200: json(TenantSchema, 'The updated tenant'),
    422: json(ErrorSchema, 'Invalid body'),
    ...errorResponses,
  },
});

const withTrial = (row: typeof tenants.$inferSelect) => {
  const view = tenantView(row);
  return { ...view, trial: trialStatus(view) };
};

export const tenant = createRouter()
  .openapi(getTenant, async (c) => {
    const id = c.get('tenant').id;
    const [row] = await c.get('db').readTenant(id, (tx) => tx.select().from(tenants).where(eq(tenants.id, id)));
    if (!row) throw notFound('Tenant');
    return c.json(withTrial(row), 200);
  })
  .openapi(updateTenant, async (c) => {
    if (c.get('user').role !== 'admin') {
      throw new ApiError(403, { code: 'forbidden', message: 'Only tenant admins can rename the tenant' });
    }
    const { name } = c.req.valid('json');
    const id = c.get('tenant').id;
    const [row] = await c
      .get('db')
      .writeTenant(id, (tx) => tx.update(tenants).set({ name }).where(eq(tenants.id, id)).returning());
    if (!row) throw notFound('Tenant');
    return c.json(withTrial(row), 200);
  });
