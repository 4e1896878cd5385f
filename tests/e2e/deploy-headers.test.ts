import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSite } from './support/build-site';
import {
  expectSecurityHeaders,
  expectSitePolicy,
  type HeaderRule,
  headersFor,
  metaPolicy,
  parseHeadersFile,
  parsePolicy,
} from './support/security-headers';

// The deploy's headers, from the build's `_headers` as Cloudflare reads it; the e2e suite checks them served.
const API_URL = 'https://api.meatymusic.test';
const SITE_URL = 'https://meatymusic.test';
const CLERK_HOST = 'clerk.meatymusic.test';
/** A publishable key names its Frontend API host: `pk_live_` + base64 of `<host>$`. */
const CLERK_KEY = `pk_live_${Buffer.from(`${CLERK_HOST}$`).toString('base64')}`;

/** Cloudflare's limits for `_headers`: longer lines and further rules are ignored. */
const MAX_LINE = 2000;
const MAX_RULES = 100;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Each built page with the URL paths Cloudflare serves it at (`/dashboard/` and, redirected, `/dashboard`). */
function builtPages(outDir: string) {
  return (readdirSync(outDir, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.html'))
    .map((file) => {
      const dir = `/${file.replace(/index\.html$/, '')}`;
      return {
        file,
        html: readFileSync(join(outDir, file), 'utf8'),
        paths: dir === '/' ? ['/'] : [dir, dir.slice(0, -1)],
      };
    });
}

describe.each([
  { mode: 'development sign-in', clerkKey: undefined, clerk: [] as string[] },
  { mode: 'Clerk', clerkKey: CLERK_KEY, clerk: [`https://${CLERK_HOST}`] },
])('_headers of a $mode build', ({ clerkKey, clerk }) => {
  let outDir: string;
  let file: string;
  let rules: HeaderRule[];
  let pages: ReturnType<typeof builtPages>;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'meatymusic-headers-'));
    await buildSite({ outDir, apiUrl: API_URL, siteUrl: SITE_URL, clerkPublishableKey: clerkKey });
    file = readFileSync(join(outDir, '_headers'), 'utf8');
    rules = parseHeadersFile(file);
    pages = builtPages(outDir);
  });

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('stays within what Cloudflare reads', () => {
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.length).toBeLessThanOrEqual(MAX_RULES);
    expect(file.split('\n').filter((line) => line.length > MAX_LINE)).toEqual([]);
  });

  it('gives every page path the security headers, with the page’s own policy plus frame-ancestors', () => {
    expect(pages.map((p) => p.file).sort()).toEqual(['dashboard/index.html', 'index.html', 'sign-in/index.html']);
    for (const page of pages) {
      const meta = metaPolicy(page.html);
      expect(meta, page.file).not.toBeNull();
      expectSitePolicy(meta ?? '', { apiOrigin: API_URL, extraConnect: clerk });
      for (const path of page.paths) expectSecurityHeaders(headersFor(rules, path), meta ?? '');
    }
  });

  it('gives assets and unknown paths the same headers (Cloudflare answers those too)', () => {
    const meta = metaPolicy(pages[0]?.html ?? '') ?? '';
    const assets = (readdirSync(join(outDir, '_astro')) as string[]).map((f) => `/_astro/${f}`);
    for (const path of ['/favicon.svg', '/robots.txt', '/no-such-page', ...assets])
      expectSecurityHeaders(headersFor(rules, path), meta);
  });

  it('allows each inline script and style of a page by its hash, and the pages carry no inline attributes', () => {
    for (const { file: name, html } of pages) {
      const policy = parsePolicy(metaPolicy(html) ?? '');
      const inline = (tag: string) =>
        [...html.matchAll(new RegExp(`<${tag}(?![^>]*\\bsrc=)[^>]*>([\\s\\S]*?)</${tag}>`, 'g'))].map(
          (m) => m[1] ?? '',
        );
      for (const script of inline('script')) expect(policy.get('script-src'), name).toContain(sha256(script));
      for (const style of inline('style')) expect(policy.get('style-src'), name).toContain(sha256(style));
      // Hashes cannot allow these: a style="" or onclick="" would be refused in the browser.
      const attributes = [...html.matchAll(/<[a-z][\w-]*(\s[^>]*)?>/gi)].flatMap(
        (tag) => tag[1]?.match(/\s(style|on[a-z]+)=/gi) ?? [],
      );
      expect(attributes, name).toEqual([]);
    }
  });

  it(clerkKey ? 'lets the dashboard load Clerk’s SDK and its timer worker' : 'allows nothing of Clerk', () => {
    const policy = parsePolicy(metaPolicy(pages[0]?.html ?? '') ?? '');
    const origins = (policy.get('script-src') ?? []).filter((s) => !s.startsWith("'"));
    expect(origins).toEqual(clerk);
    expect(policy.get('worker-src')).toEqual(clerkKey ? ['blob:'] : undefined);
  });
});
