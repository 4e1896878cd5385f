/** The site a deployed test Worker answers: https, as staging and production require. */
export const DEPLOYED_SITE = 'https://app.meatymusic.test';

/**
 * The vars (not secrets) a staging or production Worker needs to start, as its wrangler.toml env
 * would give them; the secrets come from wherever the test keeps them.
 */
export function deployedVars(environment: 'staging' | 'production', site = DEPLOYED_SITE): Record<string, string> {
  return {
    ENVIRONMENT: environment,
    CORS_ORIGINS: site,
    CLERK_AUTHORIZED_PARTIES: site,
    REDIS_KEY_PREFIX: environment,
  };
}
