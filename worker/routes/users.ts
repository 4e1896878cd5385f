import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq } from 'drizzle-orm';
import { users } from '../../db/schema';
import { notFound } from '../errors';
import { createRouter } from '../openapi';
import { ErrorSchema, errorResponses, json, UserSchema } from '../schemas/common';
import { userView } from '../tenancy/views';

const listUsers = createRoute({
  method: 'get',
  path: '/users',
  tags: ['tenant'],
  summary: "Members of the caller's tenant",
  security: [{ bearerAuth: [] }],
  responses: { 200: json(z.object({ users: z.array(UserSchema) }), 'Members'), ...errorResponses },
});

const getUser = createRoute({
  method: 'get',
  path: '/users/{id}',
  tags: ['tenant'],
  summary: "One member of the caller's tenant",
  security: [{ bearerAuth: [] }],
  request: { params: z.object({ id: z.uuid() }) },
  responses: { 200: json(UserSchema, 'The member'), 404: json(ErrorSchema, 'No such member'), ...errorResponses },
});

export const usersRoutes = createRouter()
  .openapi(listUsers, async (c) => {
    // RLS already limits the rows; the explicit tenant also makes the statement's text differ per
    // tenant, so no query-result cache in front of Postgres (Hyperdrive's) can mix two tenants.
    const rows = await c.get('db').readTenant(c.get('tenant').id, (tx) =>
      tx
        .select()
        .from(users)
        .where(eq(users.tenantId, c.get('tenant').id))
        .orderBy(asc(users.createdAt))
        .limit(500),
    );
    return c.json({ users: rows.map(userView) }, 200);
  })
  .openapi(getUser, async (c) => {
    const { id } = c.req.valid('param');
    // RLS decides visibility: another tenant's user id is simply not found.
    const [row] = await c.get('db').readTenant(c.get('tenant').id, (tx) =>
      tx
        .select()
        .from(users)
        .where(and(eq(users.id, id), eq(users.tenantId, c.get('tenant').id))),
    );
    if (!row) throw notFound('User');
    return c.json(userView(row), 200);
  });
