import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

export type SecurityHeadersOptions = { hstsMaxAgeSeconds?: number };

/**
 * Headers for a JSON API: nothing may render, frame or be sniffed from its responses. Routes that
 * serve HTML (the /docs page) set their own Content-Security-Policy, which is kept (`overwrite: false`).
 */
export function securityHeaders({ hstsMaxAgeSeconds = 63_072_000 }: SecurityHeadersOptions = {}): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
    // The site calls the API from another origin of the same site (localhost ports, or subdomains).
    crossOriginResourcePolicy: 'same-site',
    referrerPolicy: 'no-referrer',
    strictTransportSecurity: `max-age=${hstsMaxAgeSeconds}; includeSubDomains`,
    xFrameOptions: 'DENY',
    overwrite: false,
  });
}
