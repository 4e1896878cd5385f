import { type ClerkEvent, ClerkEventSchema, EventTimeSchema, HANDLED_EVENTS } from '../../worker/tenancy/clerk-events';

export type SampleIds = { userId: string; orgId: string };
export type SampleType = (typeof HANDLED_EVENTS)[number];
export const SAMPLE_TYPES: readonly SampleType[] = HANDLED_EVENTS;

/**
 * A payload of `type` shaped like Clerk's (only the fields the API keeps), stamped now as Clerk stamps
 * its events (the API applies an entity's events in that order), checked against the API's schema.
 */
export function sampleEvent(type: SampleType, { userId, orgId }: SampleIds): ClerkEvent & { timestamp: number } {
  const user = {
    id: userId,
    first_name: 'Sample',
    last_name: 'User',
    primary_email_address_id: 'idn_sample',
    email_addresses: [{ id: 'idn_sample', email_address: `${userId}@example.test` }],
  };
  const org = { id: orgId, name: 'Sample Org', slug: 'sample-org' };
  const membership = {
    role: 'org:member',
    organization: org,
    public_user_data: {
      user_id: userId,
      identifier: `${userId}@example.test`,
      first_name: 'Sample',
      last_name: 'User',
    },
  };
  const data = type.startsWith('organizationMembership.')
    ? membership
    : type.endsWith('.deleted')
      ? { id: type.startsWith('user.') ? userId : orgId }
      : type.startsWith('user.')
        ? user
        : org;
  return ClerkEventSchema.and(EventTimeSchema).parse({ type, data, timestamp: Date.now() });
}
