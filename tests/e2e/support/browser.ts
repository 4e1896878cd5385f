import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../../scripts/dev/paths';

/** Debian's Chromium: Playwright's own browser builds are never downloaded here. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
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

/** Runs axe-core inside the page (WCAG 2.x A/AA and best practices) and returns what it flags. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
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
