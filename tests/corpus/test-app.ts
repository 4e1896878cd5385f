import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { app } from '../../worker/app';
import { onError, onNotFound } from '../../worker/error-handler';
import { notFound } from '../../worker/errors';
import { mediaType } from '../../worker/middleware/media-type';
import { createRouter, declaredMediaTypes } from '../../worker/openapi';
import { ErrorSchema, errorResponses, json, text as storedText } from '../../worker/schemas/common';

/**
 * A route no release has: songs (tests/support/songs.ts), written the way docs/architecture.md says
 * a tenant-scoped resource is, to show the corpus fuzzes a route it has never heard of.
 */
const songs = pgTable('songs', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  title: text('title').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

const SongSchema = z.object({ id: z.uuid(), title: z.string() }).openapi('Song');
const params = z.object({ id: z.uuid() });

const getSong = createRoute({
  method: 'get',
  path: '/songs/{id}',
  tags: ['songs'],
  summary: "One of the tenant's songs",
  security: [{ bearerAuth: [] }],
  request: { params },
  responses: { 200: json(SongSchema, 'The song'), 404: json(ErrorSchema, 'No such song'), ...errorResponses },
});

const putSong = createRoute({
  method: 'put',
  path: '/songs/{id}',
  tags: ['songs'],
  summary: 'Store a song',
  security: [{ bearerAuth: [] }],
  request: {
    params,
    body: {
      content: { 'application/json': { schema: z.strictObject({ title: storedText(200).trim().min(1) }) } },
      required: true,
    },
  },
  responses: { 200: json(SongSchema, 'The stored song'), 422: json(ErrorSchema, 'Invalid body'), ...errorResponses },
});

const songRoutes = createRouter()
  .openapi(getSong, async (c) => {
    const { id } = c.req.valid('param');
    const tenantId = c.var.tenant.id;
    const [row] = await c.var.db.readTenant(tenantId, (tx) =>
      tx
        .select()
        .from(songs)
        .where(and(eq(songs.id, id), eq(songs.tenantId, tenantId))),
    );
    if (!row) throw notFound('Song');
    return c.json({ id: row.id, title: row.title }, 200);
  })
  .openapi(putSong, async (c) => {
    const { id } = c.req.valid('param');
    const { title } = c.req.valid('json');
    const tenantId = c.var.tenant.id;
    const [row] = await c.var.db.writeTenant(tenantId, (tx) =>
      tx
        .insert(songs)
        .values({ id, tenantId, title })
        .onConflictDoUpdate({ target: songs.id, set: { title } })
        .returning(),
    );
    if (!row) throw notFound('Song');
    return c.json({ id: row.id, title: row.title }, 200);
  });

/**
 * The Worker's app with the songs routes mounted after it, as worker/app.ts mounts a resource: the
 * whole request path runs for them. The Worker's media-type check reads the Worker's own document,
 * so the test app repeats it with its own (after authentication rather than before).
 */
export const testApp = createRouter();
testApp
  .route('/', app)
  .use('/v1/*', mediaType({ declared: declaredMediaTypes(testApp) }))
  .route('/v1', songRoutes);
testApp.onError(onError);
testApp.notFound(onNotFound);

/** The test app's OpenAPI document: the Worker's operations and the songs ones. */
export const testAppDocument = () =>
  testApp.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'Test app', version: '0.0.0' } });
