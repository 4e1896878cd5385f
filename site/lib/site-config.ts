import type { AuthConfig } from './auth';

/** What a dashboard island needs from the build: serialisable, since Astro passes it as island props. */
export type SiteConfig = { apiUrl: string; auth: AuthConfig };
