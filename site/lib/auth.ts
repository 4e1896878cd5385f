/** Who the dashboard acts as: Clerk in production, the API's development bypass locally. */
export type AuthConfig = { mode: 'clerk'; publishableKey: string } | { mode: 'dev' };

export interface Auth {
  /** Headers naming the signed-in user for the API, or null when no one is signed in. */
  headers(): Promise<Record<string, string> | null>;
  /** Leaves the page for sign-in; `returnTo` is where to come back to afterwards. */
  signIn(returnTo: string): void;
  signOut(): Promise<void>;
}

/** The slice of Clerk's browser SDK (window.Clerk) this site uses. */
export interface ClerkBrowser {
  load(): Promise<unknown>;
  session?: { getToken(): Promise<string | null> } | null;
  redirectToSignIn(options: { signInForceRedirectUrl: string }): Promise<unknown>;
  signOut(options: { redirectUrl: string }): Promise<unknown>;
}

export type Navigate = (url: string) => void;
const assign: Navigate = (url) => window.location.assign(url);

export function createAuth(config: AuthConfig): Auth {
  return config.mode === 'clerk' ? clerkAuth(() => loadClerk(config.publishableKey)) : devAuth();
}

/** Clerk: the session JWT goes to the API as a Bearer token; Clerk's hosted pages do the signing in. */
export function clerkAuth(load: () => Promise<ClerkBrowser>): Auth {
  let loaded: Promise<ClerkBrowser> | undefined;
  const clerk = () => {
    // A failed load (offline, Clerk's CDN blocked) is forgotten so the next call tries again.
    loaded ??= load().catch((e: unknown) => {
      loaded = undefined;
      throw e;
    });
    return loaded;
  };
  return {
    async headers() {
      const token = await (await clerk()).session?.getToken();
      return token ? { Authorization: `Bearer ${token}` } : null;
    },
    signIn(returnTo) {
      void clerk().then((c) => c.redirectToSignIn({ signInForceRedirectUrl: returnTo }));
    },
    async signOut() {
      await (await clerk()).signOut({ redirectUrl: '/' });
    },
  };
}

// Only Clerk mode pays for this: the loader is a separate chunk and Clerk's SDK comes from Clerk's CDN.
async function loadClerk(publishableKey: string): Promise<ClerkBrowser> {
  const { loadClerkJsScript } = await import('@clerk/shared/loadClerkJsScript');
  await loadClerkJsScript({ publishableKey });
  const clerk = (window as { Clerk?: ClerkBrowser }).Clerk;
  if (!clerk) throw new Error('Clerk did not load');
  await clerk.load();
  return clerk;
}

export const DEV_USER_KEY = 'meatymusic.dev-user';
export const DEV_ROLE_KEY = 'meatymusic.dev-role';
export const DEV_ROLES = ['admin', 'member'] as const;
export type DevRole = (typeof DEV_ROLES)[number];
/** Clerk user ids look like `user_2abc…`; the API maps any such id to its dev tenant. */
export const DEV_USER_ID = /^user_[A-Za-z0-9_]{1,64}$/;

/** Development: the signed-in "user" is an id kept in this browser, sent as X-Dev-User (the API's bypass). */
export function devAuth(storage: () => Storage = () => localStorage, navigate: Navigate = assign): Auth {
  return {
    async headers() {
      const id = storage().getItem(DEV_USER_KEY);
      if (!id || !DEV_USER_ID.test(id)) return null;
      const role = storage().getItem(DEV_ROLE_KEY);
      return { 'X-Dev-User': id, ...(role && isDevRole(role) ? { 'X-Dev-Role': role } : {}) };
    },
    signIn(returnTo) {
      navigate(`/sign-in?redirect_url=${encodeURIComponent(returnTo)}`);
    },
    async signOut() {
      storage().removeItem(DEV_USER_KEY);
      storage().removeItem(DEV_ROLE_KEY);
      navigate('/');
    },
  };
}

/** Where to go after signing in: only a path on this site, so the parameter cannot send users elsewhere. */
export function safeReturnPath(requested: string | null, origin: string, fallback = '/dashboard'): string {
  if (!requested) return fallback;
  try {
    const url = new URL(requested, origin);
    return url.origin === origin ? `${url.pathname}${url.search}${url.hash}` : fallback;
  } catch {
    return fallback;
  }
}

/** Clerk's sign-in comes back to an absolute URL: built from the safe path, so it is always on this site. */
export function clerkReturnUrl(requested: string | null, origin: string): string {
  return new URL(safeReturnPath(requested, origin), origin).href;
}

function isDevRole(role: string): role is DevRole {
  return (DEV_ROLES as readonly string[]).includes(role);
}

/** Finishes the development sign-in form: remembers the user id and role and says where to go next. */
export function completeDevSignIn(
  userId: string,
  returnTo: string | null,
  storage: Storage,
  origin: string,
  role = 'admin',
): string {
  const id = userId.trim();
  if (!DEV_USER_ID.test(id)) throw new Error(`Not a Clerk-style user id: ${id}`);
  if (!isDevRole(role)) throw new Error(`Not a role: ${role}`);
  storage.setItem(DEV_USER_KEY, id);
  storage.setItem(DEV_ROLE_KEY, role);
  return safeReturnPath(returnTo, origin);
}
