import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AstroIntegration } from 'astro';

/** Headers for every response of the site (the API sends its own: worker/middleware/security-headers.ts). */
const SITE_HEADERS = {
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // Other origins (the API, Clerk) learn which site called them, not which page.
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  // No window of another origin keeps a handle on ours (sign-in is a redirect, never a popup).
  'Cross-Origin-Opener-Policy': 'same-origin',
} as const;

/** Browsers ignore these in a `<meta>` policy (and say so in the console): they go in the header only. */
const HEADER_ONLY_DIRECTIVES = ["frame-ancestors 'none'"] as const;

const META_POLICY = /<meta http-equiv="content-security-policy" content="([^"]*)"/;

/** A policy's directives, one per entry: Astro's meta separates them with `;` and spacing of its own. */
function directivesOf(policy: string): string[] {
  return policy
    .split(';')
    .map((directive) => directive.trim().replace(/\s+/g, ' '))
    .filter(Boolean);
}

/**
 * Writes `_headers` at the root of the static output, which Cloudflare (Pages and Workers static
 * assets) applies to the responses it serves. Its Content-Security-Policy is the policy Astro put in
 * the pages' `<meta>` (the same on every page: Astro hashes every inline script and style of the build
 * into one policy), plus what only a header can carry, so the header and the meta never disagree.
 */
export function cloudflareHeaders(): AstroIntegration {
  return {
    name: 'meatymusic:cloudflare-headers',
    hooks: {
      'astro:build:done': async ({ dir, logger }) => {
        const root = fileURLToPath(dir);
        const pages = (await readdir(root, { recursive: true })).filter((file) => file.endsWith('.html'));
        const policies = new Map<string, string[]>();
        for (const page of pages) {
          const policy = META_POLICY.exec(await readFile(join(root, page), 'utf8'))?.[1];
          if (!policy) throw new Error(`${page} has no Content-Security-Policy <meta>: is security.csp on?`);
          policies.set(policy, [...(policies.get(policy) ?? []), page]);
        }
        if (policies.size !== 1) {
          const found = [...policies.values()].map((files) => files.join(', ')).join(' | ');
          throw new Error(`_headers carries one policy for the site, but the pages have ${policies.size}: ${found}`);
        }
        const [policy = ''] = policies.keys();
        await writeFile(join(root, '_headers'), headersFile(policy));
        logger.info(
          `_headers: Content-Security-Policy of ${pages.length} pages and ${Object.keys(SITE_HEADERS).length} headers`,
        );
      },
    },
  };
}

function headersFile(metaPolicy: string): string {
  const csp = [...directivesOf(metaPolicy), ...HEADER_ONLY_DIRECTIVES].join('; ');
  const headers = { 'Content-Security-Policy': csp, ...SITE_HEADERS };
  return [
    '# Written by `astro build` (site/security/cloudflare-headers.ts): Cloudflare sends these with every response.',
    '/*',
    ...Object.entries(headers).map(([name, value]) => `  ${name}: ${value}`),
    '',
  ].join('\n');
}
