import { z } from 'zod';
import { generateClerkKeys } from '../../tests/setup/clerk-keys';
import { AUTHORIZED_PARTY, clerkId, signToken } from '../../tests/support/tokens';

/** A run's stand-in for Clerk: a fresh RS256 key pair; the Worker gets the public half as CLERK_JWT_KEY. */
export function createIdentity() {
  const { publicPem, privateJwk } = generateClerkKeys();
  return {
    /** For `wrangler dev --var`: networkless verification, as in production with a JWT key set. */
    workerVars: { CLERK_JWT_KEY: publicPem, CLERK_AUTHORIZED_PARTIES: AUTHORIZED_PARTY },
    /** A real session token, valid for `seconds` (long enough for the whole run: tokens are reused). */
    token: (sub: string, org: string | null, seconds: number) =>
      signToken({
        sub,
        ...(org ? { org: { id: org, role: 'member' as const } } : {}),
        privateJwk,
        kid: privateJwk.kid,
        expiresInSeconds: seconds,
      }),
  };
}

export type Identity = ReturnType<typeof createIdentity>;

const MeResponse = z.object({
  user: z.object({ id: z.uuid(), clerk_user_id: z.string() }),
  tenant: z.object({ id: z.uuid() }),
});

export type Caller = {
  clerkUserId: string;
  clerkOrgId: string | null;
  token: string;
  /** Ids the API gave this caller on first sight (GET /v1/me provisions tenant and user). */
  userId: string;
  tenantId: string;
};

/** Signs a token for a new Clerk user (in `org`, or in a personal workspace) and has the API provision it. */
export async function provisionCaller(
  apiUrl: string,
  identity: Identity,
  { org = null, seconds = 3_600 }: { org?: string | null; seconds?: number } = {},
): Promise<Caller> {
  const clerkUserId = clerkId('user');
  const token = await identity.token(clerkUserId, org, seconds);
  const response = await fetch(`${apiUrl}/v1/me`, {
    headers: { Authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET /v1/me as ${clerkUserId} -> ${response.status}: ${body}`);
  const me = MeResponse.parse(JSON.parse(body));
  return { clerkUserId, clerkOrgId: org, token, userId: me.user.id, tenantId: me.tenant.id };
}
