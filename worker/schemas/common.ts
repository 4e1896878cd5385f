import { z } from '@hono/zod-openapi';
import { TenantViewSchema, UserViewSchema } from '../tenancy/views';

/**
 * Free text bound for storage. Postgres rejects NUL and lone UTF-16 surrogates in text/jsonb, so both
 * are refused here (as 422) instead of failing the insert (as 500); other control characters too.
 */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !/\p{Cc}/u.test(v), 'must not contain control characters')
    .refine((v) => v.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)');

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
