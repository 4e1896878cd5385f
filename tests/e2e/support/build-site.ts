import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { packageBin, REPO_ROOT } from '../../../scripts/dev/paths';

export type SiteBuild = {
  outDir: string;
  apiUrl: string;
  siteUrl: string;
  /** Set: the dashboard signs in with Clerk. Unset: through the API's development bypass. */
  clerkPublishableKey?: string;
};

/** `astro build` as the deploy runs it, for the given API and Clerk settings (never the caller's own). */
export async function buildSite({ outDir, apiUrl, siteUrl, clerkPublishableKey }: SiteBuild) {
  const { PUBLIC_CLERK_PUBLISHABLE_KEY: _clerk, ...env } = process.env;
  await promisify(execFile)(process.execPath, [packageBin('astro'), 'build', '--outDir', outDir], {
    cwd: REPO_ROOT,
    env: {
      ...env,
      // vitest sets NODE_ENV=test, which would bundle React's development build.
      NODE_ENV: 'production',
      PUBLIC_API_URL: apiUrl,
      SITE_URL: siteUrl,
      ...(clerkPublishableKey ? { PUBLIC_CLERK_PUBLISHABLE_KEY: clerkPublishableKey } : {}),
      ASTRO_TELEMETRY_DISABLED: '1',
    },
  });
}
