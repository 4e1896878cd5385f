import { hc, type InferResponseType } from 'hono/client';
import { z } from 'zod/mini';
import type { AppType } from '../../worker/app';
import type { Auth } from './auth';
import { newTraceparent, traceIdOf } from './trace';

/** The one client the site talks to the API with; request and response types come from the Worker's routes. */

type Rpc = ReturnType<typeof hc<AppType>>;
export type Me = InferResponseType<Rpc['v1']['me']['$get'], 200>;
export type Tenant = Me['tenant'];
export type PreferencesResource = InferResponseType<Rpc['v1']['preferences']['$get'], 200>;
export type Preferences = PreferencesResource['preferences'];
export type Readiness = InferResponseType<Rpc['readyz']['$get']>;

export const SERVICE_NAME = 'meatymusic-web';

/** A failed call, carrying what a person needs to report it: the API's request id. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    /** HTTP status, or 0 when the API could not be reached at all. */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly traceId: string | null,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

// Error bodies are read defensively: a proxy or gateway in between can answer with anything.
const errorEnvelope = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    request_id: z.nullish(z.string()),
    trace_id: z.nullish(z.string()),
    details: z.optional(z.unknown()),
  }),
});

/** What every typed response has in common; the body's type is decided per endpoint below. */
type AnyResponse = Pick<Response, 'status' | 'statusText' | 'headers'> & { json(): Promise<unknown> };

/** A reply without a usable body (a proxy's HTML page, say): its status and header request id are all there is. */
function httpError(res: AnyResponse, traceparent: string): ApiError {
  const message = `The API answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  return new ApiError(res.status, 'http_error', message, res.headers.get('X-Request-ID'), traceIdOf(traceparent));
}

async function toApiError(res: AnyResponse, traceparent: string): Promise<ApiError> {
  const parsed = errorEnvelope.safeParse(await res.json().catch(() => null));
  if (!parsed.success) return httpError(res, traceparent);
  const e = parsed.data.error;
  return new ApiError(
    res.status,
    e.code,
    e.message,
    e.request_id ?? res.headers.get('X-Request-ID'),
    e.trace_id ?? traceIdOf(traceparent),
    e.details,
  );
}

export interface ApiClientOptions {
  baseUrl: string;
  auth: Auth;
  /** Called when the API (or the auth provider) says no one is signed in. */
  onSignedOut?: () => void;
  fetch?: typeof fetch;
}

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient({ baseUrl, auth, onSignedOut, fetch: fetchImpl = fetch }: ApiClientOptions) {
  const rpc = hc<AppType>(baseUrl, { fetch: fetchImpl });
  const success = (status: number) => status >= 200 && status < 300;

  async function signedIn(): Promise<Record<string, string>> {
    let headers: Record<string, string> | null;
    try {
      headers = await auth.headers();
    } catch (cause) {
      // The auth provider failed (e.g. Clerk's script did not load): not the same as being signed out.
      const error = new ApiError(0, 'auth_unavailable', 'Cannot check who is signed in', null, null);
      throw Object.assign(error, { cause });
    }
    if (!headers) {
      onSignedOut?.();
      throw new ApiError(401, 'signed_out', 'You are signed out', null, null);
    }
    return headers;
  }

  type Call = (headers: Record<string, string>) => Promise<AnyResponse>;
  type SendOptions = { authenticated?: boolean; accept?: (status: number) => boolean };

  async function send(call: Call, { authenticated = true, accept = success }: SendOptions = {}): Promise<unknown> {
    // A new trace per request: each call is a root the API's spans hang under.
    const traceparent = newTraceparent();
    const request = {
      'X-Service-Name': SERVICE_NAME,
      traceparent,
      ...(authenticated ? await signedIn() : {}),
    };
    let res: AnyResponse;
    try {
      res = await call(request);
    } catch (cause) {
      const message = `Cannot reach the API at ${baseUrl}`;
      throw Object.assign(new ApiError(0, 'network_error', message, null, traceIdOf(traceparent)), { cause });
    }
    if (!accept(res.status)) {
      const error = await toApiError(res, traceparent);
      if (error.status === 401) onSignedOut?.();
      throw error;
    }
    try {
      return await res.json();
    } catch (cause) {
      throw Object.assign(httpError(res, traceparent), { cause });
    }
  }

  return {
    /** Readiness is an answer either way: a 503 says which dependency is down. */
    readiness: () =>
      send((headers) => rpc.readyz.$get({}, { headers }), {
        authenticated: false,
        accept: (s) => success(s) || s === 503,
      }) as Promise<Readiness>,

    me: () => send((headers) => rpc.v1.me.$get({}, { headers })) as Promise<Me>,

    preferences: () => send((headers) => rpc.v1.preferences.$get({}, { headers })) as Promise<PreferencesResource>,

    /** Replaces the whole document, but only if it is still at `version` (412 otherwise). */
    savePreferences: (preferences: Preferences, version: number) =>
      send((headers) =>
        rpc.v1.preferences.$put({ header: { 'if-match': `"${version}"` }, json: { preferences } }, { headers }),
      ) as Promise<PreferencesResource>,

    signOut: () => auth.signOut(),
  };
}
