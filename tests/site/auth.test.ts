import { describe, expect, it, vi } from 'vitest';
import {
  type ClerkBrowser,
  clerkAuth,
  clerkReturnUrl,
  completeDevSignIn,
  DEV_ROLE_KEY,
  DEV_USER_KEY,
  devAuth,
  safeReturnPath,
} from '../../site/lib/auth';

const ORIGIN = 'http://127.0.0.1:4321';

describe('development sign-in (the API bypass)', () => {
  it('sends the stored user id as X-Dev-User, and nothing when signed out', async () => {
    const auth = devAuth(() => localStorage);
    expect(await auth.headers()).toBeNull();
    localStorage.setItem(DEV_USER_KEY, 'user_dev');
    expect(await auth.headers()).toEqual({ 'X-Dev-User': 'user_dev' });
  });

  it('ignores a stored value that is not a Clerk-style user id', async () => {
    localStorage.setItem(DEV_USER_KEY, 'user_dev\r\nX-Evil: 1');
    expect(await devAuth(() => localStorage).headers()).toBeNull();
  });

  it('sends sign-in to /sign-in with the page to come back to', () => {
    const navigate = vi.fn();
    devAuth(() => localStorage, navigate).signIn(`${ORIGIN}/dashboard?tab=1`);
    expect(navigate).toHaveBeenCalledWith(`/sign-in?redirect_url=${encodeURIComponent(`${ORIGIN}/dashboard?tab=1`)}`);
  });

  it('signs out by forgetting the user and going home', async () => {
    localStorage.setItem(DEV_USER_KEY, 'user_dev');
    const navigate = vi.fn();
    await devAuth(() => localStorage, navigate).signOut();
    expect(localStorage.getItem(DEV_USER_KEY)).toBeNull();
    expect(navigate).toHaveBeenCalledWith('/');
  });

  it('completes the sign-in form: stores the id and returns to a path on this site only', () => {
    expect(completeDevSignIn(' user_dev ', `${ORIGIN}/dashboard`, localStorage, ORIGIN)).toBe('/dashboard');
    expect(localStorage.getItem(DEV_USER_KEY)).toBe('user_dev');
    expect(() => completeDevSignIn('admin', null, localStorage, ORIGIN)).toThrow(/Clerk-style/);
  });

  it('signs a second dev user in as a member, which the API then tells apart (X-Dev-Role)', async () => {
    completeDevSignIn('user_two', null, localStorage, ORIGIN, 'member');
    expect(await devAuth(() => localStorage).headers()).toEqual({ 'X-Dev-User': 'user_two', 'X-Dev-Role': 'member' });
    expect(() => completeDevSignIn('user_two', null, localStorage, ORIGIN, 'owner')).toThrow(/Not a role/);
    await devAuth(() => localStorage, vi.fn()).signOut();
    expect(localStorage.getItem(DEV_ROLE_KEY)).toBeNull();
  });
});

describe('return paths after sign-in', () => {
  it.each([
    [null, '/dashboard'],
    ['/dashboard?x=1#prefs', '/dashboard?x=1#prefs'],
    [`${ORIGIN}/dashboard`, '/dashboard'],
    ['https://evil.example/dashboard', '/dashboard'],
    ['//evil.example/x', '/dashboard'],
    ['javascript:alert(1)', '/dashboard'],
  ])('%s -> %s', (requested, expected) => {
    expect(safeReturnPath(requested, ORIGIN)).toBe(expected);
  });
});

describe("Clerk's return URL after sign-in", () => {
  it.each([
    [null, `${ORIGIN}/dashboard`],
    ['/dashboard?x=1', `${ORIGIN}/dashboard?x=1`],
    ['https://evil.example', `${ORIGIN}/dashboard`],
    ['//evil.example/x', `${ORIGIN}/dashboard`],
    ['javascript:alert(1)', `${ORIGIN}/dashboard`],
  ])('%s -> %s', (requested, expected) => {
    expect(clerkReturnUrl(requested, ORIGIN)).toBe(expected);
  });
});

// Clerk's hosted service cannot run here: a stand-in plays window.Clerk's part of the contract.
function clerkStandIn(token: string | null) {
  return {
    load: vi.fn(async () => {}),
    session: token === null ? null : { getToken: vi.fn(async () => token) },
    redirectToSignIn: vi.fn(async () => {}),
    signOut: vi.fn(async () => {}),
  } satisfies ClerkBrowser;
}

describe('Clerk sign-in', () => {
  it("sends the session's JWT as a Bearer token, loading Clerk once", async () => {
    const clerk = clerkStandIn('eyJ.session.jwt');
    const load = vi.fn(async () => clerk);
    const auth = clerkAuth(load);
    expect(await auth.headers()).toEqual({ Authorization: 'Bearer eyJ.session.jwt' });
    await auth.headers();
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('tries loading Clerk again after a failed load', async () => {
    const clerk = clerkStandIn('eyJ.session.jwt');
    const load = vi.fn<() => Promise<ClerkBrowser>>().mockRejectedValueOnce(new Error('offline'));
    load.mockResolvedValue(clerk);
    const auth = clerkAuth(load);
    await expect(auth.headers()).rejects.toThrow('offline');
    expect(await auth.headers()).toEqual({ Authorization: 'Bearer eyJ.session.jwt' });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('has no headers without a session, and redirects to Clerk sign-in with the return URL', async () => {
    const clerk = clerkStandIn(null);
    const auth = clerkAuth(async () => clerk);
    expect(await auth.headers()).toBeNull();
    auth.signIn(`${ORIGIN}/dashboard`);
    await vi.waitFor(() =>
      expect(clerk.redirectToSignIn).toHaveBeenCalledWith({ signInForceRedirectUrl: `${ORIGIN}/dashboard` }),
    );
  });
});
