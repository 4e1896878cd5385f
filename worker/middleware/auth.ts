import { verifyToken } from '@clerk/backend';
import { TokenVerificationError } from '@clerk/backend/errors';
import { SpanKind } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { ApiError, DependencyError } from '../errors';
import { inSpan } from '../observability/spans';
import type { SettingsVariables } from './settings';

/** Who is calling, as the verified token (or the dev bypass) says. Nothing here is from the request body. */
export interface AuthContext {
  userId: string;
  sessionId: string | null;
  orgId: string | null;
  /** Clerk's form, e.g. `org:admin`. */
  orgRole: string | null;
  orgSlug: string | null;
  /** A `tenant_id` custom claim (a session-token template), which wins over the organization. */
  tenantClaim: string | null;
  email: string | null;
  name: string | null;
  via: 'token' | 'dev-bypass';
}

export type AuthVariables = { auth: AuthContext };

export type AuthOptions = {
  /** Header that carries the dev user id when the development bypass is on. */
  devHeader?: string;
  /** Header that makes a dev user an org `admin` (the default) or `member`, so two dev users can differ. */
  devRoleHeader?: string;
};

const DEV_ROLES: Record<string, string> = { admin: 'org:admin', member: 'org:member' };

// Bounded, printable ids before they reach SQL parameters, cache keys or logs.
const CLERK_ID = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_TOKEN_LENGTH = 8_192;

// Token failures whose cause is on our side of the wire (keys unreachable), not the caller's token.
const UNAVAILABLE_REASONS = new Set(['jwk-remote-failed-to-load', 'jwk-failed-to-resolve']);

/**
 * Verifies the Clerk session JWT from `Authorization: Bearer` or the `__session` cookie.
 * Networkless when CLERK_JWT_KEY is set, JWKS via CLERK_SECRET_KEY otherwise.
 */
export function auth({ devHeader = 'X-Dev-User', devRoleHeader = 'X-Dev-Role' }: AuthOptions = {}): MiddlewareHandler<{
  Variables: SettingsVariables & AuthVariables;
}> {
  return async function auth(c, next) {
    const settings = c.var.settings.auth;
    const devUser = c.req.header(devHeader);
    if (settings.devBypass && devUser !== undefined) {
      if (!CLERK_ID.test(devUser))
        throw new ApiError(401, 'unauthorized', `${devHeader} must be a Clerk-style user id`);
      const orgRole = DEV_ROLES[c.req.header(devRoleHeader) ?? 'admin'];
      if (!orgRole) throw new ApiError(401, 'unauthorized', `${devRoleHeader} must be admin or member`);
      const { orgId, orgName, email } = settings.devBypass;
      c.set('auth', {
        userId: devUser,
        sessionId: null,
        orgId,
        orgRole,
        orgSlug: orgName,
        tenantClaim: null,
        // One address per dev user (dev+user_a@…, dev+user_b@…), so two of them can be told apart.
        email: email.replace('@', `+${devUser}@`),
        name: null,
        via: 'dev-bypass',
      });
      return next();
    }

    const token = bearerToken(c.req.header('Authorization')) ?? getCookie(c, '__session');
    if (!token) throw new ApiError(401, 'unauthorized', 'A session token is required (Authorization: Bearer)');
    if (token.length > MAX_TOKEN_LENGTH) throw new ApiError(401, 'token_invalid', 'The session token is too long');
    if (!settings.jwtKey && !settings.secretKey) {
      throw new ApiError(401, 'unauthorized', 'Token verification is not configured on this server');
    }

    let claims: Record<string, unknown>;
    try {
      claims = await inSpan('auth.verify', { kind: SpanKind.INTERNAL }, () =>
        verifyToken(token, {
          jwtKey: settings.jwtKey,
          secretKey: settings.secretKey,
          authorizedParties: settings.authorizedParties.length ? settings.authorizedParties : undefined,
          clockSkewInMs: settings.clockSkewMs,
        }),
      );
    } catch (error) {
      const verdict = error instanceof TokenVerificationError;
      // Without a local key, anything but a verdict on the token is the JWKS fetch failing.
      if ((verdict && UNAVAILABLE_REASONS.has(error.reason)) || (!verdict && !settings.jwtKey)) {
        throw new DependencyError('identity provider', error);
      }
      const reason = verdict ? error.reason : 'token-invalid';
      throw new ApiError(401, reason.replaceAll('-', '_'), 'The session token is not valid');
    }

    c.set('auth', authFromClaims(claims));
    await next();
  };
}

function bearerToken(header: string | undefined) {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

/** Reads both session-token shapes: v2 (`o: { id, rol, slg }`) and v1 (`org_id`, `org_role`, `org_slug`). */
export function authFromClaims(claims: Record<string, unknown>): AuthContext {
  // Claims end up in Postgres text columns, which refuse NUL and lone surrogates: such a value is dropped.
  const str = (v: unknown) =>
    typeof v === 'string' && v.length > 0 && v.length <= 256 && !/\p{Cc}/u.test(v) && v.isWellFormed() ? v : null;
  const userId = str(claims.sub);
  if (!userId || !CLERK_ID.test(userId)) throw new ApiError(401, 'token_invalid', 'The token has no valid subject');
  const org = typeof claims.o === 'object' && claims.o !== null ? (claims.o as Record<string, unknown>) : null;
  const orgId = str(org?.id) ?? str(claims.org_id);
  if (orgId && !CLERK_ID.test(orgId)) throw new ApiError(401, 'token_invalid', 'The token has an invalid organization');
  const v2Role = str(org?.rol);
  return {
    userId,
    sessionId: str(claims.sid),
    orgId,
    orgRole: v2Role ? `org:${v2Role}` : str(claims.org_role),
    orgSlug: str(org?.slg) ?? str(claims.org_slug),
    tenantClaim: str(claims.tenant_id),
    email: str(claims.email),
    name: str(claims.name),
    via: 'token',
  };
}
