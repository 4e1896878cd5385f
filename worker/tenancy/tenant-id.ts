import { isUuid } from '../../db/client';
import { ApiError } from '../errors';

// Fixed namespace for MeatyMusic tenant ids (RFC 9562 name-based, SHA-1). Changing it orphans every tenant.
const NAMESPACE = '5b0c3d1e-7f6a-4c2b-9e8d-1a2b3c4d5e6f';

export type TenantKey = { kind: 'org' | 'personal'; id: string; clerkOrgId: string | null };

/** What the verified token says about where the caller acts. */
export type TenantClaims = { userId: string; orgId: string | null; tenantClaim: string | null };

/**
 * The tenant a caller acts for: the organization Clerk put in the token, else the user's personal
 * workspace. Both ids are derived, never taken from the caller, so a token reaches only tenants Clerk
 * vouches for. A `tenant_id` custom claim is only an assertion of the same: one naming any other
 * tenant is refused (docs/decisions/001).
 */
export async function tenantKeyFor({ userId, orgId, tenantClaim }: TenantClaims): Promise<TenantKey> {
  const key: TenantKey = orgId
    ? { kind: 'org', id: await uuidV5(`org:${orgId}`), clerkOrgId: orgId }
    : { kind: 'personal', id: await uuidV5(`user:${userId}`), clerkOrgId: null };
  if (tenantClaim !== null && !(isUuid(tenantClaim) && tenantClaim.toLowerCase() === key.id)) {
    throw new ApiError(403, {
      code: 'tenant_claim_mismatch',
      message: "The token's tenant_id claim does not name the tenant of its organization",
    });
  }
  return key;
}

export async function uuidV5(name: string, namespace = NAMESPACE): Promise<string> {
  const ns = hexToBytes(namespace.replaceAll('-', ''));
  const input = new Uint8Array([...ns, ...new TextEncoder().encode(name)]);
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-1', input)).slice(0, 16);
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...hash].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function hexToBytes(hex: string) {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}
