import { DEV_USER_KEY } from '../../../site/lib/auth';
import type { SiteConfig } from '../../../site/lib/site-config';
import type { FakeApi } from './fake-api';

/** Signs the browser in as the fake API's user (the development bypass) and points the islands at it. */
export function signedInConfig(api: FakeApi): SiteConfig {
  localStorage.setItem(DEV_USER_KEY, api.state.me.user.clerk_user_id);
  return { apiUrl: api.url, auth: { mode: 'dev' } };
}
