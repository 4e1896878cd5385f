import { importJWK, type JWTPayload, SignJWT } from 'jose';
import { inject } from 'vitest';

export const AUTHORIZED_PARTY = 'http://localhost:4321';

let seq = 0;
/** A Clerk-shaped id no other test uses. */
export const clerkId = (prefix: 'user' | 'org' | 'sess') =>
  `${prefix}_${Date.now().toString(36)}${(++seq).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export type TokenOptions = {
  sub?: string;
  /** v2 organization claim: `o: { id, rol, slg }`. */
  org?: { id: string; role?: 'admin' | 'member'; slug?: string };
  /** v1 organization claims: `org_id`, `org_role`, `org_slug`. */
  orgV1?: { id: string; role?: string; slug?: string };
  claims?: JWTPayload & Record<string, unknown>;
  expiresInSeconds?: number;
  notBeforeSeconds?: number;
  azp?: string | null;
  /** Sign with this key instead of the one the Worker trusts. */
  privateJwk?: JsonWebKey;
  /** The header's key id; outside vitest (bench, load test) pass it with `privateJwk`. */
  kid?: string;
};

/** A session token as Clerk would issue it, signed with the run's test key (RS256). */
export async function signToken(options: TokenOptions = {}) {
  const jwk = options.privateJwk ?? inject('clerkPrivateJwk');
  const key = await importJWK(jwk, 'RS256');
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    sid: clerkId('sess'),
    ...(options.azp === null ? {} : { azp: options.azp ?? AUTHORIZED_PARTY }),
    ...(options.org
      ? { v: 2, o: { id: options.org.id, rol: options.org.role ?? 'member', slg: options.org.slug } }
      : {}),
    ...(options.orgV1
      ? { org_id: options.orgV1.id, org_role: options.orgV1.role ?? 'org:member', org_slug: options.orgV1.slug }
      : {}),
    ...options.claims,
  };
  let jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: options.kid ?? inject('clerkPrivateJwk').kid })
    .setSubject(options.sub ?? clerkId('user'))
    .setIssuer('https://clerk.meatymusic.test')
    .setIssuedAt(now - 1)
    .setExpirationTime(now + (options.expiresInSeconds ?? 60));
  if (options.notBeforeSeconds !== undefined) jwt = jwt.setNotBefore(now + options.notBeforeSeconds);
  return jwt.sign(key);
}

/** The Authorization header carrying `token`. */
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A caller with a fixed identity: every request carries a fresh token for it. */
export function caller(options: TokenOptions = {}) {
  const sub = options.sub ?? clerkId('user');
  return {
    sub,
    headers: async (extra: Record<string, string> = {}) => ({
      ...bearer(await signToken({ ...options, sub })),
      ...extra,
    }),
  };
}
