import type { TenantKey } from './tenancy/tenant-id';

/** A Clerk id (user, organization): bounded and printable before it reaches SQL parameters, cache keys or logs. */
export const CLERK_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Who is calling, as the verified token (or the dev bypass) says. Nothing here is from the request body. */
export interface AuthContext {
  userId: string;
  sessionId: string | null;
  orgId: string | null;
  /** Clerk's form, e.g. `org:admin`. */
  orgRole: string | null;
  orgSlug: string | null;
  /** A `tenant_id` custom claim (a session-token template): accepted only when it names `tenant`. */
  tenantClaim: string | null;
  /** Clerk's `sts`: `pending` while the session has unfinished tasks; absent in older tokens. */
  sessionStatus: string | null;
  email: string | null;
  name: string | null;
  via: 'token' | 'dev-bypass';
}

/** The verified caller and the tenant the token lets them act for (derived, never looked up). */
export type Caller = AuthContext & { tenant: TenantKey };
