import { z } from '@hono/zod-openapi';
import { TenantViewSchema, UserViewSchema } from '../tenancy/views';

/**
 * Text Postgres stores as given: it rejects NUL and lone UTF-16 surrogates in text/jsonb, and other
 * control characters are refused with NUL. Each rule carries what a refusal says.
 */
const STORABLE_TEXT: [(v: string) => boolean, string][] = [
  [(v) => !/\p{Cc}/u.test(v), 'must not contain control characters'],
  [(v) => v.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)'],
];

export const isStorableText = (v: string) => STORABLE_TEXT.every(([ok]) => ok(v));

/** Free text bound for storage: what Postgres would refuse is refused here (as 422), not at the insert (as 500). */
export const text = (max: number) =>
  STORABLE_TEXT.reduce((schema, [ok, message]) => schema.refine(ok, message), z.string().max(max));

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'precondition_failed' }),
      message: z.string(),
      request_id: z.string().nullable(),
      trace_id: z.string().nullable(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

export const TenantSchema = TenantViewSchema.extend({
  trial: z.object({ active: z.boolean(), days_left: z.int().min(0) }),
}).openapi('Tenant');

export const UserSchema = UserViewSchema.openapi('User');

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

/** Responses every authenticated route can give, documented once. */
export const errorResponses = {
  400: json(ErrorSchema, 'Malformed request (bad JSON, header or parameter)'),
  401: json(ErrorSchema, 'Missing or invalid session token'),
  403: json(ErrorSchema, 'Authenticated but not allowed'),
  429: json(ErrorSchema, 'Rate limited; see Retry-After'),
  503: json(ErrorSchema, 'A dependency is unavailable; retry'),
} as const;

export { json };
