import { Webhook } from 'svix';
import { z } from 'zod';
import { issuesOf } from '../error-handler';
import { ApiError, DependencyError } from '../errors';
import { bodySize } from '../middleware/body-size';
import { createRouter } from '../openapi';
import { invalidate } from '../redis/cache';
import { ClerkEventSchema, EventTimeSchema, HANDLED_EVENTS } from '../tenancy/clerk-events';
import { applyClerkDelivery } from '../tenancy/clerk-sync';
import { membershipKey } from '../tenancy/membership-cache';

const MAX_WEBHOOK_BYTES = 256 * 1024;
const handled = new Set<string>(HANDLED_EVENTS);
const Envelope = z.object({ type: z.string().max(100) });

/**
 * Clerk → us, signed with Svix. The signature (and its timestamp tolerance) is checked on the raw
 * bytes before anything in the body is believed or even validated. A delivery is applied once (its
 * Svix id is recorded in Postgres) and never over a newer event of the same entity.
 */
export const webhooks = createRouter();

webhooks.post('/webhooks/clerk', bodySize({ maxBytes: MAX_WEBHOOK_BYTES, what: 'Webhook bodies' }), async (c) => {
  const secret = c.get('settings').auth.webhookSecret;
  if (!secret) {
    throw new ApiError(503, { code: 'webhooks_not_configured', message: 'CLERK_WEBHOOK_SECRET is not set' });
  }
  const raw = await c.req.text();
  const svixId = c.req.header('svix-id') ?? '';
  try {
    new Webhook(secret).verify(raw, {
      'svix-id': svixId,
      'svix-timestamp': c.req.header('svix-timestamp') ?? '',
      'svix-signature': c.req.header('svix-signature') ?? '',
    });
  } catch {
    throw new ApiError(401, {
      code: 'invalid_signature',
      message: 'The webhook signature or timestamp is not valid',
    });
  }

  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new ApiError(400, { code: 'bad_request', message: 'Malformed JSON in webhook body' });
  }
  const envelope = Envelope.safeParse(body);
  if (!envelope.success) {
    throw new ApiError(422, {
      code: 'validation_failed',
      message: 'Not a Clerk event',
      details: issuesOf(envelope.error),
    });
  }
  if (!handled.has(envelope.data.type)) return c.json({ received: true, handled: false }, 200);

  const event = ClerkEventSchema.and(EventTimeSchema).safeParse(body);
  if (!event.success) {
    throw new ApiError(422, {
      code: 'validation_failed',
      message: 'Unexpected event payload',
      details: issuesOf(event.error),
    });
  }
  if (svixId.length > 200) throw new ApiError(400, { code: 'bad_request', message: 'svix-id is too long' });
  const delivery = { svixId, eventAt: event.data.timestamp };
  const result = await applyClerkDelivery(c.get('db'), event.data, delivery, c.get('settings').tenancy.trialDays);
  if (result.outcome !== 'applied') {
    c.get('logger').info('clerk webhook skipped', {
      event_type: event.data.type,
      svix_id: svixId,
      outcome: result.outcome,
    });
    return c.json({ received: true, handled: true, outcome: result.outcome }, 200);
  }
  const { affected } = result;
  const [first, ...rest] = affected.clerkUserIds.map((id) => membershipKey(affected.tenantId, id));
  // Otherwise a removed member or a cancelled tenant would keep working until the entry's TTL.
  // A 503 makes Svix deliver again; applying the event twice is harmless, a stale entry is not.
  if (first && !(await invalidate(c.get('redis'), first, ...rest))) {
    throw new DependencyError('cache', new Error('membership entries could not be invalidated'));
  }
  c.get('logger').info('clerk webhook applied', { event_type: event.data.type, svix_id: svixId });
  return c.json({ received: true, handled: true, outcome: result.outcome }, 200);
});

webhooks.openAPIRegistry.registerPath({
  method: 'post',
  path: '/webhooks/clerk',
  tags: ['webhooks'],
  summary: 'Clerk user/organization events (Svix-signed); keeps users and tenants in sync',
  request: {
    headers: z.object({ 'svix-id': z.string(), 'svix-timestamp': z.string(), 'svix-signature': z.string() }),
    body: { content: { 'application/json': { schema: z.object({ type: z.string(), data: z.object({}) }) } } },
  },
  responses: {
    200: {
      description:
        'Received (handled: false for event types we ignore; outcome duplicate for a delivery already applied, stale for an event older than one applied)',
    },
    401: { description: 'Bad signature or timestamp outside the tolerance (replay)' },
    422: { description: 'Signed, but not a payload we understand' },
  },
});
