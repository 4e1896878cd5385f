import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';
import { packageBin, REPO_ROOT } from '../scripts/dev/paths';
import { CHROMIUM } from '../tests/support/chromium';

/** Builds the site as `npm run build:site` does, for an API at `apiUrl`, into `outDir`. */
export async function buildSite(outDir: string, apiUrl: string, siteUrl: string) {
  const { PUBLIC_CLERK_PUBLISHABLE_KEY: _clerk, ...env } = process.env;
  await promisify(execFile)(process.execPath, [packageBin('astro'), 'build', '--outDir', outDir], {
    cwd: REPO_ROOT,
    // No Clerk key: the dashboard signs in through the API's development bypass (site/lib/auth.ts).
    env: { ...env, NODE_ENV: 'production', PUBLIC_API_URL: apiUrl, SITE_URL: siteUrl, ASTRO_TELEMETRY_DISABLED: '1' },
  });
}

export type PageScripts = { page: string; files: string[]; raw: number; gzip: number };

/**
 * The JavaScript a page loads before it is interactive, from the built files: inline and `src`
 * scripts, islands' component and renderer modules, and everything those import statically.
 * Dynamic `import()` is left out: it loads on demand (Clerk's loader, say), not with the page.
 */
export function pageScripts(outDir: string, page: string): PageScripts {
  const html = readFileSync(join(outDir, page), 'utf8');
  const inline: string[] = [];
  const entries = new Set<string>();
  for (const [, attrs = '', body = ''] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    if (/type=["']?application\/(ld\+)?json/.test(attrs)) continue;
    const src = attrs.match(/\bsrc=["']([^"']+)["']/)?.[1];
    if (src) entries.add(src);
    else {
      inline.push(body);
      for (const spec of staticImports(body)) entries.add(spec);
    }
  }
  for (const [, url] of html.matchAll(/\b(?:component-url|renderer-url)=["']([^"']+)["']/g)) if (url) entries.add(url);
  for (const [, url] of html.matchAll(/<link\b[^>]*rel=["']modulepreload["'][^>]*href=["']([^"']+)["']/g)) {
    if (url) entries.add(url);
  }

  const files = new Set<string>();
  const visit = (path: string) => {
    if (files.has(path) || !existsSync(path)) return;
    files.add(path);
    for (const spec of staticImports(readFileSync(path, 'utf8'))) {
      visit(spec.startsWith('/') ? join(outDir, spec) : join(dirname(path), spec));
    }
  };
  for (const url of entries) if (url.startsWith('/')) visit(join(outDir, url));

  const bodies = [...inline.map((text) => Buffer.from(text)), ...[...files].map((f) => readFileSync(f))];
  return {
    page,
    files: [...(inline.length ? [`${inline.length} inline`] : []), ...[...files].map((f) => relative(outDir, f))],
    raw: bodies.reduce((n, b) => n + b.length, 0),
    gzip: bodies.reduce((n, b) => n + (b.length ? gzipSync(b, { level: 9 }).length : 0), 0),
  };
}

/** `import "x"` and `… from "x"` (static); `import("x")` has a parenthesis and is not matched. */
function staticImports(code: string): string[] {
  return [...code.matchAll(/(?:\bimport\s*|\bfrom\s*)["']([^"']+\.m?js)["']/g)].map((m) => m[1] as string);
}

export type LighthouseResult = {
  url: string;
  scores: { performance: number; accessibility: number; 'best-practices': number; seo: number };
  metrics: { fcpMs: number; lcpMs: number; tbtMs: number; cls: number };
  /** Audits that lost points, per category: what to look at when a score is under target. */
  failing: Record<string, string[]>;
};

const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'] as const;

/**
 * Lighthouse (default mobile settings: simulated slow 4G and 4x CPU slowdown) on Debian's Chromium.
 * The browser is signed in first the way the site's development sign-in does it (a dev user id in
 * localStorage), and Lighthouse is told to keep storage, so `/dashboard` is measured signed in.
 */
export async function runLighthouse(urls: string[], signIn: { origin: string; devUserId: string }) {
  const browser = await puppeteer.launch({ ...CHROMIUM, headless: true });
  try {
    const page = await browser.newPage();
    await page.goto(`${signIn.origin}/`);
    await page.evaluate((id) => localStorage.setItem('meatymusic.dev-user', id), signIn.devUserId);
    const results: LighthouseResult[] = [];
    for (const url of urls) {
      const run = await lighthouse(
        url,
        { logLevel: 'error', disableStorageReset: true, onlyCategories: [...CATEGORIES] },
        undefined,
        page,
      );
      if (!run) throw new Error(`Lighthouse returned nothing for ${url}`);
      const { categories, audits } = run.lhr;
      const score = (id: string) => Math.round((categories[id]?.score ?? 0) * 100);
      const numeric = (id: string) => audits[id]?.numericValue ?? Number.NaN;
      const failing: Record<string, string[]> = {};
      for (const id of CATEGORIES) {
        failing[id] = (categories[id]?.auditRefs ?? [])
          .filter((ref) => ref.weight > 0 && (audits[ref.id]?.score ?? 1) < 1)
          .map((ref) => describeAudit(ref.id, audits[ref.id], audits[ELEMENTS_OF[ref.id] ?? '']));
      }
      results.push({
        url,
        scores: {
          performance: score('performance'),
          accessibility: score('accessibility'),
          'best-practices': score('best-practices'),
          seo: score('seo'),
        },
        metrics: {
          fcpMs: Math.round(numeric('first-contentful-paint')),
          lcpMs: Math.round(numeric('largest-contentful-paint')),
          tbtMs: Math.round(numeric('total-blocking-time')),
          cls: Math.round(numeric('cumulative-layout-shift') * 1000) / 1000,
        },
        failing,
      });
    }
    return results;
  } finally {
    await browser.close();
  }
}

/** Metric audits name no elements; these diagnostics (weight 0, so never "failing") do. */
const ELEMENTS_OF: Record<string, string> = {
  'cumulative-layout-shift': 'layout-shifts',
  'largest-contentful-paint': 'largest-contentful-paint-element',
};

type Audit = { score: number | null; displayValue?: string; details?: object };

/** `id (score): value; elements` — enough to see what to fix without opening the full report. */
function describeAudit(id: string, audit: Audit | undefined, elements = audit): string {
  const items = elements?.details && 'items' in elements.details ? elements.details.items : null;
  const nodes = (Array.isArray(items) ? items : [])
    .map((item) => (item as { node?: { selector?: string } }).node?.selector)
    .filter((selector): selector is string => !!selector)
    .slice(0, 3);
  const value = audit?.displayValue ? `: ${audit.displayValue}` : '';
  return `${id} (${Math.round((audit?.score ?? 0) * 100)})${value}${nodes.length ? ` [${nodes.join('; ')}]` : ''}`;
}
