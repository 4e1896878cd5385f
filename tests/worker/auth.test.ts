import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { parseSettings } from '../../worker/config';
import { api, apiWithVars, type ErrorBody } from '../support/api';
import { deployedVars } from '../support/deployed-vars';
import { bearer, caller, signToken } from '../support/tokens';

const me = (headers: Record<string, string>) => api('/v1/me', { headers });

async function expect401(res: Response, code?: string) {
  expect(res.status).toBe(401);
  const body = await res.json<ErrorBody>();
  expect(body.error.request_id).toBe(res.headers.get('X-Request-ID'));
  if (code) expect(body.error.code).toBe(code);
  return body;
}

const b64url = (v: object) => btoa(JSON.stringify(v)).replaceAll('=', '').replaceAll('+', '-').replaceAll('/', '_');

describe('authentication of /v1', () => {
  it('a valid RS256 session token is accepted (networkless, real @clerk/backend)', async () => {
    const res = await me(await caller().headers());
    expect(res.status).toBe(200);
  });

  it('the __session cookie is accepted like a bearer token', async () => {
    const res = await me({ Cookie: `__session=${await signToken()}` });
    expect(res.status).toBe(200);
  });

  it('no token -> 401', async () => {
    await expect401(await me({}), 'unauthorized');
  });

  it('a malformed token -> 401', async () => {
    for (const token of ['abc', 'a.b.c', `${b64url({ alg: 'RS256' })}.e30.`, 'Bearer', '...']) {
      await expect401(await me(bearer(token)));
    }
    await expect401(await me({ Authorization: 'Basic dXNlcjpwdw==' }), 'unauthorized');
  });

  it('a token signed by another key -> 401 invalid signature', async () => {
    const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const token = await signToken({ privateJwk: await exportJWK(privateKey) });
    await expect401(await me(bearer(token)), 'token_invalid_signature');
  });

  it('an expired token -> 401 token_expired', async () => {
    await expect401(await me(bearer(await signToken({ expiresInSeconds: -60 }))), 'token_expired');
  });

  it('a token not valid yet -> 401', async () => {
    await expect401(await me(bearer(await signToken({ notBeforeSeconds: 120 }))), 'token_not_active_yet');
  });

  it('a token for another authorized party (azp) -> 401', async () => {
    const res = await me(bearer(await signToken({ azp: 'https://evil.example' })));
    await expect401(res, 'token_invalid_authorized_parties');
  });

  it('alg "none" -> 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'user_x', exp: now + 60, iat: now, azp: 'http://localhost:4321' })}.`;
    await expect401(await me(bearer(token)));
  });

  it('HS256 signed with the public key as the secret -> 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const secret = new TextEncoder().encode(inject('clerkPublicPem'));
    const token = await new SignJWT({ sub: 'user_x', azp: 'http://localhost:4321' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: inject('clerkPrivateJwk').kid })
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(secret);
    await expect401(await me(bearer(token)));
  });

  it('a token whose subject is not a Clerk id -> 401', async () => {
    await expect401(await me(bearer(await signToken({ sub: "user'; drop table users; --" }))), 'token_invalid');
  });

  it('public routes need no token', async () => {
    for (const path of ['/', '/healthz', '/readyz', '/openapi.json', '/docs']) {
      expect((await api(path)).status, path).toBeLessThan(400);
    }
  });
});

describe('identity provider reachability', () => {
  // No route to Clerk's hosted API exists from this machine: exactly the outage being simulated.
  const withSecret = (vars: Record<string, string>) =>
    apiWithVars({ CLERK_SECRET_KEY: 'sk_test_bWVhdHltdXNpYy10ZXN0LXNlY3JldC1rZXk', ...vars });

  it('with a networkless key, an unreachable JWKS endpoint does not matter', async () => {
    const res = await withSecret({})('/v1/me', { headers: await caller().headers() });
    expect(res.status).toBe(200);
  });

  it('without one, an unreachable JWKS endpoint is a 503, not a 401', async () => {
    const res = await withSecret({ CLERK_JWT_KEY: '' })('/v1/me', { headers: await caller().headers() });
    expect(res.status).toBe(503);
    expect((await res.json<ErrorBody>()).error.code).toBe('identity_provider_unavailable');
  });
});

describe('development auth bypass', () => {
  const devApi = apiWithVars({ DEV_AUTH_BYPASS: 'true', ENVIRONMENT: 'development' });

  it('in development with DEV_AUTH_BYPASS, X-Dev-User signs in as the dev user of the dev org', async () => {
    const res = await devApi('/v1/me', { headers: { 'X-Dev-User': 'user_dev' } });
    expect(res.status).toBe(200);
    const body = await res.json<{ user: { clerk_user_id: string; role: string }; tenant: { name: string } }>();
    expect(body.user.clerk_user_id).toBe('user_dev');
    expect(body.user.role).toBe('admin');
    expect(body.tenant.name).toBe('MeatyMusic Dev');
  });

  it('is ignored (401) when the bypass is off, even in development', async () => {
    await expect401(await me({ 'X-Dev-User': 'user_dev' }), 'unauthorized');
  });

  it('is ignored (401) in production', async () => {
    const prodApi = apiWithVars({ ...deployedVars('production'), DEV_AUTH_BYPASS: 'false' });
    // Outside development a 401 names no precise reason (a missing token here).
    await expect401(await prodApi('/v1/me', { headers: { 'X-Dev-User': 'user_dev' } }), 'unauthenticated');
  });

  it('a configuration enabling it outside development fails to load, naming the variable', () => {
    for (const ENVIRONMENT of ['production', 'staging', 'test']) {
      expect(() =>
        parseSettings({
          ENVIRONMENT,
          DEV_AUTH_BYPASS: 'true',
          CLERK_JWT_KEY: 'x',
          HYPERDRIVE: { connectionString: 'postgres://x' },
        }),
      ).toThrow(/DEV_AUTH_BYPASS/);
    }
  });

  it('refuses a dev user id that is not Clerk-shaped', async () => {
    await expect401(await devApi('/v1/me', { headers: { 'X-Dev-User': 'x y' } }), 'unauthorized');
  });
});
