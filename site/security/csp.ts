import { parsePublishableKey } from '@clerk/shared/keys';

export type SitePolicyOptions = {
  /** PUBLIC_API_URL: the islands call it from the browser. */
  apiUrl: string;
  /** PUBLIC_CLERK_PUBLISHABLE_KEY: set, the dashboard loads Clerk's browser SDK (site/lib/auth.ts). */
  clerkPublishableKey?: string | undefined;
};

/**
 * The site's Content-Security-Policy, as Astro's `security.csp` takes it: Astro adds `script-src` and
 * `style-src` with the hashes of the inline scripts and styles it emits, and puts the whole policy in a
 * `<meta>` of every page. Each source below is something the site loads; everything else is refused.
 */
export function sitePolicy({ apiUrl, clerkPublishableKey }: SitePolicyOptions) {
  if (!URL.canParse(apiUrl)) throw new Error(`PUBLIC_API_URL is not a URL: ${apiUrl}`);
  const api = new URL(apiUrl).origin;
  const clerk = clerkPublishableKey ? clerkFrontendApi(clerkPublishableKey) : null;
  return {
    directives: [
      "default-src 'none'",
      // The API; in Clerk mode also Clerk's Frontend API, which the SDK talks to for sessions and tokens.
      // 'self': the site fetches nothing of its own, but tools read /robots.txt in the page's context
      // (Lighthouse's fetch is refused without it, and its SEO audit fails).
      `connect-src 'self' ${clerk ? `${api} ${clerk}` : api}`,
      // The favicon. Nothing else is an image.
      "img-src 'self'",
      // Clerk's SDK runs its session-refresh timers in a worker it creates from a blob: URL.
      ...(clerk ? ['worker-src blob:'] : []),
      "object-src 'none'",
      "base-uri 'none'",
      // The development sign-in form submits in script; without script it would post to this page.
      "form-action 'self'",
    ],
    // Bundled modules from this origin, and in Clerk mode the SDK that the loader fetches from Clerk.
    // (`style-src` is left to Astro: `'self'` and the hashes of the stylesheets it inlines.)
    scriptDirective: { resources: clerk ? ["'self'", clerk] : ["'self'"] },
  };
}

/** Where Clerk's loader fetches the SDK from and where the SDK sends its requests: the key's Frontend API host. */
function clerkFrontendApi(publishableKey: string): string {
  const parsed = parsePublishableKey(publishableKey);
  if (!parsed) throw new Error('PUBLIC_CLERK_PUBLISHABLE_KEY is not a Clerk publishable key');
  return `https://${parsed.frontendApi}`;
}
