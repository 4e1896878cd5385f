import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../../scripts/dev/paths';
import { CHROMIUM } from '../../support/chromium';

/** Debian's Chromium: Playwright's own browser builds are never downloaded here. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ ...CHROMIUM, headless: true });
}

export const ARTIFACTS = join(REPO_ROOT, 'tests', 'artifacts', 'e2e');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export type ScriptTransfer = { url: string; raw: number; gzip: number };

/** Records every script the page loads (HTML-embedded or fetched), with its size raw and gzipped. */
export function recordScripts(page: Page) {
  const pending: Promise<ScriptTransfer>[] = [];
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'script') return;
    pending.push(
      response.body().then((body) => ({ url: response.url(), raw: body.length, gzip: gzipSync(body).length })),
    );
  });
  return {
    async scripts() {
      const inline = await page.$$eval('script:not([src])', (nodes) => nodes.map((n) => n.textContent ?? ''));
      const fetched = await Promise.all(pending);
      const embedded = inline.map((text, i) => {
        const body = Buffer.from(text);
        return { url: `inline #${i + 1}`, raw: body.length, gzip: gzipSync(body).length };
      });
      return [...embedded, ...fetched];
    },
  };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export type AxeViolation = { id: string; impact: string | null; help: string; targets: string[] };

/**
 * Runs axe-core inside the page (WCAG 2.x A/AA and best practices) and returns what it flags. It is
 * evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern:
 * an injected <script> would be refused, and counted as a violation.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    type AxeResult = {
      violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
    };
    const axe = (window as unknown as { axe: { run(): Promise<AxeResult> } }).axe;
    const { violations } = await axe.run();
    return violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
}

/**
 * Collects every Content-Security-Policy violation in a context's pages, as `url: directive blocked`:
 * the `securitypolicyviolation` events (reported through a binding, which the policy cannot block) and
 * the browser's console errors about the policy (a directive it ignores, a source it cannot parse).
 */
export async function watchCsp(context: BrowserContext, into: string[] = []): Promise<string[]> {
  await context.exposeBinding('reportCspViolation', ({ page }, violation: string) => {
    into.push(`${page.url()}: ${violation}`);
  });
  await context.addInitScript(() => {
    const report = (window as unknown as { reportCspViolation(v: string): void }).reportCspViolation;
    document.addEventListener('securitypolicyviolation', (e) => {
      report(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} ${e.sample}`.trim());
    });
  });
  context.on('console', (message) => {
    if (/content.security.policy/i.test(message.text())) into.push(`${message.page()?.url()}: ${message.text()}`);
  });
  return into;
}

export type LayoutShift = { value: number; at: number; moved: string[] };

/** Every layout shift the page has had so far (the buffered `layout-shift` entries): when, and what moved where. */
export function layoutShifts(page: Page): Promise<LayoutShift[]> {
  return page.evaluate(() => {
    type Source = { node?: Node | null; previousRect: DOMRectReadOnly; currentRect: DOMRectReadOnly };
    type Shift = PerformanceEntry & { value: number; sources: Source[] };
    const observer = new PerformanceObserver(() => {});
    observer.observe({ type: 'layout-shift', buffered: true });
    const entries = observer.takeRecords() as Shift[];
    observer.disconnect();
    const name = (node?: Node | null) =>
      node instanceof Element
        ? `${node.tagName.toLowerCase()}.${[...node.classList].join('.')}`
        : String(node?.nodeName);
    const rect = (r: DOMRectReadOnly) =>
      `${Math.round(r.x)},${Math.round(r.y)} ${Math.round(r.width)}x${Math.round(r.height)}`;
    return entries.map((e) => ({
      value: e.value,
      at: Math.round(e.startTime),
      moved: e.sources.map((s) => `${name(s.node)} ${rect(s.previousRect)} -> ${rect(s.currentRect)}`),
    }));
  });
}

/** Resolves once the browser has painted what the page holds now (two animation frames later). */
export function afterNextPaint(page: Page): Promise<void> {
  return page.evaluate(
    () => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))),
  );
}
