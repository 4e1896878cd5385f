import { type ApiClient, createApiClient } from './api';
import { createAuth } from './auth';
import type { SiteConfig } from './site-config';

// One client per page however many islands ask: they share its auth state and sign-in redirect.
const clients = new Map<string, ApiClient>();

export function apiFor(config: SiteConfig): ApiClient {
  const key = JSON.stringify(config);
  let client = clients.get(key);
  if (!client) {
    const auth = createAuth(config.auth);
    let redirecting = false;
    client = createApiClient({
      baseUrl: config.apiUrl,
      auth,
      onSignedOut: () => {
        if (redirecting) return;
        redirecting = true;
        auth.signIn(window.location.href);
      },
    });
    clients.set(key, client);
  }
  return client;
}
