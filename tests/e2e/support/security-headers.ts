import { expect } from 'vitest';

/** A Content-Security-Policy as directive name -> sources. */
export function parsePolicy(policy: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const directive of policy.split(';')) {
    const [name, ...sources] = directive.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

/** The policy in a page's `<meta http-equiv="content-security-policy">`, or null. */
export function metaPolicy(html: string): string | null {
  return /<meta http-equiv="content-security-policy" content="([^"]*)"/i.exec(html)?.[1] ?? null;
}

/**
 * What every page's policy must say: scripts only from this origin (and hashes), nothing inline
 * without a hash, no wildcard anywhere, no plugins, no <base>, forms only to this site, and calls only
 * to this site and the API (plus `extraConnect`, Clerk's Frontend API in Clerk mode).
 */
export function expectSitePolicy(
  policy: string,
  { apiOrigin, extraConnect = [] }: { apiOrigin: string; extraConnect?: string[] },
) {
  const directives = parsePolicy(policy);
  expect(directives.get('default-src')).toEqual(["'none'"]);
  const scripts = directives.get('script-src') ?? [];
  expect(scripts).toContain("'self'");
  expect(scripts).not.toContain("'unsafe-inline'");
  expect(scripts).not.toContain("'unsafe-eval'");
  expect(scripts.some((s) => s.startsWith("'sha256-"))).toBe(true);
  expect(directives.get('style-src')).not.toContain("'unsafe-inline'");
  expect(directives.get('connect-src')).toEqual(["'self'", apiOrigin, ...extraConnect]);
  expect(directives.get('object-src')).toEqual(["'none'"]);
  expect(directives.get('base-uri')).toEqual(["'none'"]);
  expect(directives.get('form-action')).toEqual(["'self'"]);
  const wildcards = [...directives].flatMap(([name, sources]) =>
    sources.filter((s) => s.includes('*') || /^(https?|data|blob):$/.test(s)).map((s) => `${name} ${s}`),
  );
  // Clerk's SDK makes its timer worker from a blob: URL; nothing else may name a whole scheme.
  expect(wildcards.filter((w) => w !== 'worker-src blob:')).toEqual([]);
}

/** The headers a meta tag cannot carry, which every response of the site must have. */
export function expectSecurityHeaders(headers: Headers | Record<string, string>, metaCsp: string) {
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : headers[name]) ?? null;
  expect(get('Strict-Transport-Security')).toMatch(/^max-age=(\d{8,}); includeSubDomains$/);
  expect(get('X-Content-Type-Options')).toBe('nosniff');
  expect(get('X-Frame-Options')).toBe('DENY');
  expect(get('Referrer-Policy')).toBe('strict-origin-when-cross-origin');
  expect(get('Cross-Origin-Opener-Policy')).toBe('same-origin');
  // The header's policy is the page's own, plus what only a header can carry.
  const header = parsePolicy(get('Content-Security-Policy') ?? '');
  expect(header.get('frame-ancestors')).toEqual(["'none'"]);
  header.delete('frame-ancestors');
  expect(header).toEqual(parsePolicy(metaCsp));
}

export type HeaderRule = { path: string; headers: [name: string, value: string][] };

/** Cloudflare's `_headers` format: a URL pattern on its own line, then indented `Name: value` lines. */
export function parseHeadersFile(text: string): HeaderRule[] {
  const rules: HeaderRule[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      rules.push({ path: line.trim(), headers: [] });
      continue;
    }
    const [, name, value] = /^\s+([^:]+):\s*(.*)$/.exec(line) ?? [];
    const rule = rules.at(-1);
    if (!rule || !name || value === undefined) throw new Error(`Not a header line: ${line}`);
    rule.headers.push([name.trim(), value.trim()]);
  }
  return rules;
}

/** The headers Cloudflare adds for `path`: those of every matching rule (`*` a splat, `:name` a segment). */
export function headersFor(rules: HeaderRule[], path: string): Headers {
  const headers = new Headers();
  for (const rule of rules) {
    const pattern = rule.path
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/:\w+/g, '[^/]+');
    if (!new RegExp(`^${pattern}$`).test(path)) continue;
    // A header named by two matching rules is sent once, with the values joined (as Cloudflare does).
    for (const [name, value] of rule.headers) headers.append(name, value);
  }
  return headers;
}
