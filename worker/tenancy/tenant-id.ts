import { isUuid } from '../../db/client';
import { ApiError } from '../errors';
import type { AuthContext } from '../middleware/auth';

// Fixed namespace for MeatyMusic tenant ids (RFC 9562 name-based, SHA-1). Changing it orphans every tenant.
const NAMESPACE = '5b0c3d1e-7f6a-4c2b-9e8d-1a2b3c4d5e6f';

export type TenantKey = { kind: 'claim' | 'org' | 'personal'; id: string; clerkOrgId: string | null };

/**
 * The tenant a caller acts for, derived from verified claims only: an explicit `tenant_id` claim,
 * else the active organization, else the user's personal workspace. Org and personal tenants get
 * deterministic ids, so provisioning never has to look across tenants (see docs/decisions).
 */
export async function tenantKeyFor(auth: AuthContext): Promise<TenantKey> {
  if (auth.tenantClaim) {
    if (!isUuid(auth.tenantClaim)) throw new ApiError(401, 'token_invalid', 'The tenant_id claim is not a uuid');
    // Not linked to the org: that org's own tenant may already hold its clerk_org_id.
    return { kind: 'claim', id: auth.tenantClaim.toLowerCase(), clerkOrgId: null };
  }
  if (auth.orgId) return { kind: 'org', id: await uuidV5(`org:${auth.orgId}`), clerkOrgId: auth.orgId };
  return { kind: 'personal', id: await uuidV5(`user:${auth.userId}`), clerkOrgId: null };
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
