import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ApiError } from '../errors';
import { createRouter } from '../openapi';
import { cachedPreferences, forgetPreferences } from '../preferences/cache';
import {
  PreferencesPatchSchema,
  PreferencesSchema,
  StoredPreferencesSchema,
  withDefaults,
} from '../preferences/schema';
import {
  type Change,
  currentVersion,
  type Precondition,
  readPreferences,
  stale,
  type VersionedPreferences,
  writePreferences,
} from '../preferences/store';
import { ErrorSchema, errorResponses, json } from '../schemas/common';
import type { AppEnv } from '../types';

const PreferencesResponseSchema = z
  .object({ preferences: PreferencesSchema, version: z.int().min(0), updated_at: z.iso.datetime().nullable() })
  .openapi('PreferencesDocument');

const IfMatchHeaders = z.object({
  'if-match': z
    .string()
    .regex(/^(\*|"\d{1,9}")$/, 'must be * or a quoted version such as "3"')
    .optional()
    .openapi({ description: 'The ETag of the version being replaced; a stale one gets 412' }),
});

const writeResponses = {
  200: json(PreferencesResponseSchema, 'The stored document; ETag carries its version'),
  412: json(ErrorSchema, 'If-Match does not match the current version'),
  413: json(ErrorSchema, 'Body too large'),
  415: json(ErrorSchema, 'Not a JSON body'),
  422: json(ErrorSchema, 'The document is not valid'),
  ...errorResponses,
};

const getPreferences = createRoute({
  method: 'get',
  path: '/preferences',
  tags: ['preferences'],
  summary: "The caller's preferences (defaults filled in)",
  security: [{ bearerAuth: [] }],
  responses: { 200: json(PreferencesResponseSchema, 'The document; ETag carries its version'), ...errorResponses },
});

const putPreferences = createRoute({
  method: 'put',
  path: '/preferences',
  tags: ['preferences'],
  summary: 'Replace the preferences document',
  security: [{ bearerAuth: [] }],
  request: {
    headers: IfMatchHeaders,
    body: {
      content: { 'application/json': { schema: z.strictObject({ preferences: StoredPreferencesSchema }) } },
      required: true,
    },
  },
  responses: writeResponses,
});

const patchPreferences = createRoute({
  method: 'patch',
  path: '/preferences',
  tags: ['preferences'],
  summary: 'Merge-patch the preferences document (RFC 7396)',
  security: [{ bearerAuth: [] }],
  request: {
    headers: IfMatchHeaders,
    body: {
      content: {
        'application/merge-patch+json': { schema: PreferencesPatchSchema },
        'application/json': { schema: PreferencesPatchSchema },
      },
      required: true,
    },
  },
  responses: writeResponses,
});

function precondition(header: string | undefined): Precondition {
  if (header === undefined) return { kind: 'none' };
  if (header === '*') return { kind: 'any' };
  return { kind: 'version', version: Number(header.slice(1, -1)) };
}

function respond(c: Context<AppEnv>, doc: VersionedPreferences) {
  c.header('ETag', `"${doc.version}"`);
  c.header('Cache-Control', 'private, no-cache');
  return c.json(
    { preferences: withDefaults(doc.preferences), version: doc.version, updated_at: doc.updatedAt },
    200 as const,
  );
}

export const preferences = createRouter()
  .openapi(getPreferences, async (c) => {
    const doc = await cachedPreferences(c.var, () =>
      c.get('db').readTenant(c.get('tenant').id, (tx) => readPreferences(tx, c.get('user').id)),
    );
    return respond(c, doc);
  })
  .openapi(putPreferences, async (c) => write(c, { replace: c.req.valid('json').preferences }))
  .openapi(patchPreferences, async (c) => {
    const patch = c.req.valid('json');
    if (Object.keys(patch).length === 0) {
      throw new ApiError(422, { code: 'validation_failed', message: 'The patch is empty' });
    }
    return write(c, { patch });
  });

/** Writes in one round trip; on a failed If-Match, one more reads the version to report. */
async function write(c: Context<AppEnv>, change: Change) {
  const { tenant, user } = c.var;
  const ifMatch = precondition(c.req.header('if-match'));
  const doc = await c
    .get('db')
    .writeTenant(tenant.id, (tx) => writePreferences(tx, { tenantId: tenant.id, userId: user.id }, ifMatch, change));
  if (!doc) throw stale(await c.get('db').readTenant(tenant.id, (tx) => currentVersion(tx, user.id)));
  await forgetPreferences(c.var);
  return respond(c, doc);
}
