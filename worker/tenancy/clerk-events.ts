import { z } from 'zod';
import { CLERK_ID } from '../identity';
import { text } from '../schemas/common';

/** The parts of Clerk's webhook payloads we keep in sync; everything else in them is ignored. */
const clerkId = z.string().regex(CLERK_ID);
// Stored in Postgres text columns: NUL, control characters and lone surrogates are refused (422).
const name = text(200).nullish();

const userData = z.object({
  id: clerkId,
  first_name: name,
  last_name: name,
  primary_email_address_id: z.string().nullish(),
  email_addresses: z.array(z.object({ id: z.string(), email_address: text(320) })).default([]),
});

const organizationData = z.object({
  id: clerkId,
  name: text(200).min(1),
  slug: text(200).nullish(),
});

const membershipData = z.object({
  role: z.string().max(64),
  organization: z.object({ id: clerkId, name: text(200).optional(), slug: text(200).nullish() }),
  public_user_data: z.object({
    user_id: clerkId,
    identifier: text(320).nullish(),
    first_name: name,
    last_name: name,
  }),
});

const deleted = z.object({ id: clerkId });

export const HANDLED_EVENTS = [
  'user.created',
  'user.updated',
  'user.deleted',
  'organization.created',
  'organization.updated',
  'organization.deleted',
  'organizationMembership.created',
  'organizationMembership.updated',
  'organizationMembership.deleted',
] as const;

/** Clerk's own time of the event (ms since the epoch): what per-entity ordering compares. */
export const EventTimeSchema = z.object({ timestamp: z.int().min(0).max(Number.MAX_SAFE_INTEGER) });

export const ClerkEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.enum(['user.created', 'user.updated']), data: userData }),
  z.object({ type: z.literal('user.deleted'), data: deleted }),
  z.object({ type: z.enum(['organization.created', 'organization.updated']), data: organizationData }),
  z.object({ type: z.literal('organization.deleted'), data: deleted }),
  z.object({
    type: z.enum([
      'organizationMembership.created',
      'organizationMembership.updated',
      'organizationMembership.deleted',
    ]),
    data: membershipData,
  }),
]);
export type ClerkEvent = z.infer<typeof ClerkEventSchema>;

export function primaryEmail(user: z.infer<typeof userData>) {
  const primary = user.email_addresses.find((e) => e.id === user.primary_email_address_id);
  return (primary ?? user.email_addresses[0])?.email_address ?? null;
}

export function fullName(first?: string | null, last?: string | null) {
  const joined = [first, last].filter(Boolean).join(' ').trim();
  return joined || null;
}
