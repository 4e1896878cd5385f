import { verifyToken } from '@clerk/backend';
import { TokenVerificationError } from '@clerk/backend/errors';
import { SpanKind, trace } from '@opentelemetry/api';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { USER_ROLES } from '../../db/schema';
import type { Settings } from '../config';
import { ApiError, DependencyError } from '../errors';
import { type AuthContext, CLERK_ID } from '../identity';
import { inSpan } from '../observability/spans';
import { isStorableText } from '../schemas/common';
import { tenantKeyFor } from '../tenancy/tenant-id';
import type { AuthVariables, LoggerVariables, SettingsVariables } from '../types';

export type AuthOptions = {
  /** Header that carries the dev user id when the development bypass is on. */
  devHeader?: string;
  /**
   * Requests that may come from a pending session (one with unfinished session tasks, which Clerk's
   * own request authentication treats as signed out). None by default: a route opts in here.
   */
  acceptsPendingSession?: (c: Context) => boolean;
  /** Header that makes a dev user an org `admin` (the default) or `member`, so two dev users can differ. */
  devRoleHeader?: string;
};

/** Reasons a 401 may name outside development; every other one is `unauthenticated` (the log has it). */
const PUBLIC_REASONS = new Set(['token_expired', 'session_pending']);

// A dev user's org role, by the tenant role it gives them (roleFor maps it back). A Map: no inherited keys.
const DEV_ROLES = new Map<string, string>(USER_ROLES.map((role) => [role, `org:${role}`]));

const MAX_TOKEN_LENGTH = 8_192;

// Token failures whose cause is on our side of the wire (keys unreachable), not the caller's token.
const UNAVAILABLE_REASONS = new Set(['jwk-remote-failed-to-load', 'jwk-failed-to-resolve']);

/**
 * Verifies the Clerk session JWT from `Authorization: Bearer` or the `__session` cookie.
 * Networkless when CLERK_JWT_KEY is set, JWKS via CLERK_SECRET_KEY otherwise.
 */
export function auth({
  devHeader = 'X-Dev-User',
  devRoleHeader = 'X-Dev-Role',
  acceptsPendingSession = () => false,
}: AuthOptions = {}): MiddlewareHandler<{
  Variables: SettingsVariables & LoggerVariables & AuthVariables;
}> {
  return async function auth(c, next) {
    const settings = c.get('settings').auth;
    const refuse = (reason: string, message: string): never => {
      // The precise reason is for operators; outside development a caller probing tokens learns less.
      c.get('logger').warn('authentication refused', { auth_failure_reason: reason });
      trace.getActiveSpan()?.setAttribute('auth.failure_reason', reason);
      const code = c.get('settings').isDevelopment || PUBLIC_REASONS.has(reason) ? reason : 'unauthenticated';
      throw new ApiError(401, { code, message });
    };

    const devUser = c.req.header(devHeader);
    if (settings.devBypass && devUser !== undefined) {
      if (!CLERK_ID.test(devUser)) refuse('unauthorized', `${devHeader} must be a Clerk-style user id`);
      const orgRole = DEV_ROLES.get(c.req.header(devRoleHeader) ?? 'admin');
      if (!orgRole) return refuse('unauthorized', `${devRoleHeader} must be ${USER_ROLES.join(' or ')}`);
      const { orgId, orgName, email } = settings.devBypass;
      const who: AuthContext = {
        userId: devUser,
        sessionId: null,
        orgId,
        orgRole,
        orgSlug: orgName,
        tenantClaim: null,
        sessionStatus: null,
        // One address per dev user (dev+user_a@…, dev+user_b@…), so two of them can be told apart.
        email: email.replace('@', `+${devUser}@`),
        name: null,
        via: 'dev-bypass',
      };
      c.set('auth', { ...who, tenant: await tenantKeyFor(who) });
      return next();
    }

    const token = bearerToken(c.req.header('Authorization')) ?? getCookie(c, '__session');
    if (!token) return refuse('unauthorized', 'A session token is required (Authorization: Bearer)');
    if (token.length > MAX_TOKEN_LENGTH) refuse('token_invalid', 'The session token is too long');
    if (!settings.jwtKey && !settings.secretKey) {
      refuse('unauthorized', 'Token verification is not configured on this server');
    }

    let claims: Record<string, unknown>;
    try {
      claims =
        verifiedTokens.get(settings, token) ??
        verifiedTokens.put(
          settings,
          token,
          await inSpan('auth.verify', { kind: SpanKind.INTERNAL }, () =>
            verifyToken(token, {
              jwtKey: settings.jwtKey,
              secretKey: settings.secretKey,
              authorizedParties: settings.authorizedParties.length ? settings.authorizedParties : undefined,
              clockSkewInMs: settings.clockSkewMs,
            }),
          ),
        );
    } catch (error) {
      const verdict = error instanceof TokenVerificationError;
      // Without a local key, anything but a verdict on the token is the JWKS fetch failing.
      if ((verdict && UNAVAILABLE_REASONS.has(error.reason)) || (!verdict && !settings.jwtKey)) {
        throw new DependencyError('identity provider', error);
      }
      return refuse((verdict ? error.reason : 'token-invalid').replaceAll('-', '_'), 'The session token is not valid');
    }

    const who = authFromClaims(claims);
    if (!who) return refuse('token_invalid', 'The token has no valid subject or organization');
    // Anything but an active (or, in older tokens, unstated) session is signed out, as Clerk treats it.
    if (who.sessionStatus !== null && who.sessionStatus !== 'active') {
      if (who.sessionStatus !== 'pending' || !acceptsPendingSession(c)) {
        refuse(who.sessionStatus === 'pending' ? 'session_pending' : 'session_inactive', 'The session is not active');
      }
    }
    c.set('auth', { ...who, tenant: await tenantKeyFor(who) });
    await next();
  };
}

/**
 * Tokens this isolate has verified, with their claims, until they expire. A session token is sent with
 * every request for about a minute, and verifying it again (Clerk imports the key, then an RSA check)
 * is most of a cached read's CPU. Kept per verification configuration (by content: with tracing on,
 * each request sees its settings anew), bounded, and never past `exp` (without the skew verification
 * allows), so it answers only what verifying again would.
 */
const verifiedTokens = (() => {
  const MAX_TOKENS = 1_000;
  const MAX_CONFIGS = 4;
  const byConfig = new Map<string, Map<string, Record<string, unknown>>>();
  const configKey = (auth: Settings['auth']) =>
    [auth.jwtKey ?? '', auth.secretKey ?? '', auth.authorizedParties.join(','), auth.clockSkewMs].join('\n');
  const live = (claims: Record<string, unknown>) => typeof claims.exp === 'number' && claims.exp * 1000 > Date.now();
  // Oldest first: a Map keeps insertion order.
  const evictOldest = <V>(map: Map<string, V>, max: number) => {
    if (map.size >= max) map.delete(map.keys().next().value as string);
  };
  return {
    get(auth: Settings['auth'], token: string) {
      const tokens = byConfig.get(configKey(auth));
      const claims = tokens?.get(token);
      if (!claims) return undefined;
      if (live(claims)) return claims;
      tokens?.delete(token);
      return undefined;
    },
    put(auth: Settings['auth'], token: string, claims: Record<string, unknown>) {
      const key = configKey(auth);
      let tokens = byConfig.get(key);
      if (!tokens) {
        evictOldest(byConfig, MAX_CONFIGS);
        tokens = new Map();
        byConfig.set(key, tokens);
      }
      evictOldest(tokens, MAX_TOKENS);
      if (live(claims)) tokens.set(token, claims);
      return claims;
    },
  };
})();

function bearerToken(header: string | undefined) {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

/**
 * Reads both session-token shapes: v2 (`o: { id, rol, slg }`) and v1 (`org_id`, `org_role`, `org_slug`).
 * The organization, its role and slug all come from one shape: a v1 role beside a v2 org never counts.
 */
export function authFromClaims(claims: Record<string, unknown>): AuthContext | null {
  // Claims end up in Postgres text columns, which refuse NUL and lone surrogates: such a value is dropped.
  const str = (v: unknown) =>
    typeof v === 'string' && v.length > 0 && v.length <= 256 && isStorableText(v) ? v : null;
  const userId = str(claims.sub);
  if (!userId || !CLERK_ID.test(userId)) return null;
  const v2 = typeof claims.o === 'object' && claims.o !== null ? (claims.o as Record<string, unknown>) : null;
  const v2Role = str(v2?.rol);
  const org = v2
    ? { id: str(v2.id), role: v2Role ? `org:${v2Role}` : null, slug: str(v2.slg) }
    : { id: str(claims.org_id), role: str(claims.org_role), slug: str(claims.org_slug) };
  if (org.id && !CLERK_ID.test(org.id)) return null;
  return {
    userId,
    sessionId: str(claims.sid),
    orgId: org.id,
    orgRole: org.id ? org.role : null,
    orgSlug: org.id ? org.slug : null,
    // Present but unusable (not a short string) still counts as a claim, so it cannot be smuggled past.
    tenantClaim: claims.tenant_id === undefined ? null : (str(claims.tenant_id) ?? ''),
    sessionStatus: claims.sts === undefined ? null : (str(claims.sts) ?? ''),
    email: str(claims.email),
    name: str(claims.name),
    via: 'token',
  };
}
