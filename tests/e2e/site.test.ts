import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Me } from '../../site/lib/api';
import {
  ARTIFACTS,
  afterNextPaint,
  axeViolations,
  launchChromium,
  layoutShifts,
  recordScripts,
  type ScriptTransfer,
  screenshot,
  watchCsp,
} from './support/browser';
import { expectSecurityHeaders, expectSitePolicy, metaPolicy } from './support/security-headers';
import { type E2eStack, startStack } from './support/stack';

// Fresh ids per run, so nothing in this run can be mistaken for rows of an earlier one (logs, traces,
// the API's membership cache: each run has its own throwaway Redis, see tests/setup/upstash.ts).
const RUN = `${Date.now().toString(36)}${process.pid}`;
const DEV_USER = `user_e2e_${RUN}`;
const DEV_ORG = `org_e2e_${RUN}`;

describe('site in a real browser against the real API', () => {
  let stack: E2eStack;
  let browser: Browser;
  let owner: postgres.Sql;
  const shipped: Record<string, { files: ScriptTransfer[]; raw: number; gzip: number }> = {};
  const shots: string[] = [];
  const pageErrors: string[] = [];
  /** Every Content-Security-Policy violation in any page of any test (bar the one that provokes one). */
  const cspViolations: string[] = [];
  /** Paths of the pages loaded under both watches, so the checks on the two lists above cannot pass vacuously. */
  const watchedPaths = new Set<string>();
  const expectPagesWatched = () =>
    expect([...watchedPaths]).toEqual(expect.arrayContaining(['/', '/sign-in', '/dashboard']));

  beforeAll(async () => {
    stack = await startStack({
      appDatabaseUrl: inject('appDatabaseUrl'),
      upstash: { url: inject('upstashUrl'), token: inject('upstashToken') },
      devUserId: DEV_USER,
      devOrgId: DEV_ORG,
    });
    browser = await launchChromium();
    owner = postgres(inject('ownerDatabaseUrl'), { max: 1, onnotice: () => {}, fetch_types: false });
  });

  afterAll(async () => {
    await browser?.close();
    await owner?.end();
    await stack?.stop();
  });

  async function newContext(options: Parameters<Browser['newContext']>[0] = {}) {
    const context = await browser.newContext(options);
    await watchCsp(context, cspViolations);
    return context;
  }

  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    // Cloudflare serves pages at /sign-in/ as well as /sign-in: count both as one.
    page.on('load', () => watchedPaths.add(new URL(page.url()).pathname.replace(/(.)\/$/, '$1')));
    return page;
  }

  async function record(name: string, page: Page, scripts: ReturnType<typeof recordScripts>) {
    const files = await scripts.scripts();
    shipped[name] = {
      files,
      raw: files.reduce((n, f) => n + f.raw, 0),
      gzip: files.reduce((n, f) => n + f.gzip, 0),
    };
    shots.push(await screenshot(page, name.replaceAll('/', '') || 'home'));
  }

  /** A browser profile already signed in through the development sign-in page's storage. */
  async function signedInContext(options: Parameters<Browser['newContext']>[0] = {}) {
    const context = await newContext(options);
    await context.addInitScript((id) => localStorage.setItem('meatymusic.dev-user', id), DEV_USER);
    return context;
  }

  async function apiMe(): Promise<Me> {
    const res = await fetch(`${stack.apiUrl}/v1/me`, { headers: { 'X-Dev-User': DEV_USER } });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    return JSON.parse(body) as Me;
  }

  async function openDashboard(page: Page) {
    await page.goto(`${stack.siteUrl}/dashboard`);
    await page.getByRole('button', { name: 'Save preferences' }).waitFor();
  }

  it('home: the product, a call to action and good metadata, with no JavaScript at all', async () => {
    const context = await newContext();
    const page = await newPage(context);
    const scripts = recordScripts(page);
    const response = await page.goto(`${stack.siteUrl}/`);
    expect(response?.status()).toBe(200);

    expect(await page.title()).toBe('Agentic Music Creation System · MeatyMusic');
    const meta = (selector: string) => page.locator(selector).getAttribute('content');
    expect(await meta('meta[name="description"]')).toMatch(/agentic music creation system/i);
    expect(await meta('meta[property="og:title"]')).toBe('Agentic Music Creation System · MeatyMusic');
    expect(await meta('meta[property="og:url"]')).toBe(`${stack.siteUrl}/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toMatch(/Make music with a team of AI agents/);
    const cta = page.getByRole('link', { name: 'Open your dashboard' });
    expect(await cta.getAttribute('href')).toBe('/dashboard');

    await record('/', page, scripts);
    expect(shipped['/']!.files).toEqual([]);
    expect(await page.locator('script').count()).toBe(0);

    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  it('home: accessible in dark mode and on a phone-sized screen', async () => {
    const context = await newContext({ colorScheme: 'dark', viewport: { width: 390, height: 844 } });
    const page = await newPage(context);
    await page.goto(`${stack.siteUrl}/`);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(20, 18, 26)');
    shots.push(await screenshot(page, 'home-dark-mobile'));
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  it('every page is served with the security headers, its header policy being its <meta> policy plus frame-ancestors', async () => {
    const metas: string[] = [];
    for (const path of ['/', '/dashboard/', '/sign-in/']) {
      const res = await fetch(`${stack.siteUrl}${path}`);
      expect(res.status, path).toBe(200);
      const meta = metaPolicy(await res.text()) ?? '';
      expectSitePolicy(meta, { apiOrigin: stack.apiUrl });
      expectSecurityHeaders(res.headers, meta);
      metas.push(meta);
    }
    // Redirects and files carry them too (one policy for the whole site).
    for (const path of ['/dashboard', '/favicon.svg', '/robots.txt']) {
      const res = await fetch(`${stack.siteUrl}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(path === '/dashboard' ? 308 : 200);
      expectSecurityHeaders(res.headers, metas[0] ?? '');
    }
  });

  it('an injected inline script does not run, and the refusal is seen', async () => {
    // Its own watcher: this is the one violation provoked on purpose, proving that violations are caught.
    const context = await browser.newContext();
    const seen = await watchCsp(context);
    const page = await context.newPage();
    await page.goto(`${stack.siteUrl}/`);
    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.body.appendChild(script);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return (window as { injected?: boolean }).injected === true;
    });
    expect(ran).toBe(false);
    await expect.poll(() => seen.some((v) => /script-src-elem blocked inline/.test(v))).toBe(true);
    await context.close();
  });

  it('no other page can frame the site', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const refusals: string[] = [];
    page.on('console', (message) => refusals.push(message.text()));
    await page.setContent(`<iframe title="framed" src="${stack.siteUrl}/"></iframe>`);
    await expect.poll(() => refusals.some((text) => /frame-ancestors 'none'|X-Frame-Options/.test(text))).toBe(true);
    const framed = page.frames().find((frame) => frame !== page.mainFrame());
    expect(await framed?.evaluate(() => document.title).catch(() => null)).not.toMatch(/MeatyMusic/);
    await context.close();
  });

  it('dashboard: a signed-out visitor is sent to sign in, then sees their user and tenant from the API', async () => {
    const context = await newContext();
    const page = await newPage(context);
    await page.goto(`${stack.siteUrl}/dashboard`);
    // Cloudflare serves /sign-in/index.html at /sign-in/ (and redirects /sign-in there).
    await page.waitForURL(/\/sign-in\/?\?redirect_url=/);
    shots.push(await screenshot(page, 'sign-in'));
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('User id').fill(DEV_USER);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/dashboard\/?$/);

    const me = await apiMe();
    expect(me.tenant.name).toBe('MeatyMusic Dev');
    await expect.poll(() => page.getByTestId('tenant-name').textContent()).toBe(me.tenant.name);
    const account = await page.getByTestId('account').textContent();
    expect(account).toContain(me.user.email);
    expect(account).toContain(me.tenant.plan);
    expect(await page.getByTestId('trial').textContent()).toBe(`Trial: ${me.tenant.trial.days_left} days left`);
    await context.close();
  });

  it('dashboard: API health, scripts shipped, and no accessibility violations', async () => {
    const context = await signedInContext();
    const page = await newPage(context);
    const scripts = recordScripts(page);
    await openDashboard(page);
    await expect.poll(() => page.getByTestId('readiness').textContent()).toBe('Ready');
    expect(await page.getByRole('row', { name: /database/ }).textContent()).toMatch(/Up/);

    await record('/dashboard', page, scripts);
    expect(shipped['/dashboard']!.gzip).toBeGreaterThan(0);
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  it('dashboard: a changed preference is saved, survives a reload, and is stored in Postgres', async () => {
    const context = await signedInContext();
    const page = await newPage(context);
    await openDashboard(page);
    const genre = `synthwave-${Date.now().toString(36)}`;
    await page.getByLabel('Default genre').fill(genre);
    await page.getByLabel('Default tempo (BPM)').fill('124');
    await page.getByLabel('Theme').selectOption('dark');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.getByText('Preferences saved').waitFor();

    await page.reload();
    await page.getByRole('button', { name: 'Save preferences' }).waitFor();
    expect(await page.getByLabel('Default genre').inputValue()).toBe(genre);
    expect(await page.getByLabel('Default tempo (BPM)').inputValue()).toBe('124');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    shots.push(await screenshot(page, 'dashboard-saved-dark'));
    expect(await axeViolations(page)).toEqual([]);

    const rows = await owner<{ preferences: Record<string, unknown>; version: number }[]>`
      select p.preferences, p.version from user_preferences p
      join users u on u.id = p.user_id and u.tenant_id = p.tenant_id
      where u.clerk_user_id = ${DEV_USER}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.preferences).toMatchObject({ default_genre: genre, default_bpm: 124, theme: 'dark' });
    expect(rows[0]!.version).toBeGreaterThanOrEqual(1);
    await context.close();
  });

  it('dashboard: a stale write (another tab saved first) shows the conflict message, not a silent overwrite', async () => {
    const context = await signedInContext();
    const stale = await newPage(context);
    await openDashboard(stale);

    const other = await newPage(context);
    await openDashboard(other);
    await other.getByLabel('Default genre').fill('from-the-other-tab');
    await other.getByRole('button', { name: 'Save preferences' }).click();
    await other.getByText('Preferences saved').waitFor();

    await stale.getByLabel('Default genre').fill('from-the-stale-tab');
    await stale.getByRole('button', { name: 'Save preferences' }).click();
    const conflict = stale.getByTestId('conflict');
    await conflict.waitFor();
    expect(await conflict.textContent()).toMatch(/changed since you opened them/);
    shots.push(await screenshot(stale, 'dashboard-conflict'));

    const [row] = await owner<{ genre: string }[]>`
      select p.preferences->>'default_genre' as genre from user_preferences p
      join users u on u.id = p.user_id where u.clerk_user_id = ${DEV_USER}`;
    expect(row!.genre).toBe('from-the-other-tab');

    await conflict.getByRole('button', { name: 'Load latest version' }).click();
    await expect.poll(() => stale.getByLabel('Default genre').inputValue()).toBe('from-the-other-tab');
    await context.close();
  });

  for (const viewport of [
    { width: 412, height: 823 },
    { width: 1280, height: 800 },
  ]) {
    it(`dashboard: no layout shift when the API's answers replace the loading state (${viewport.width}x${viewport.height})`, async () => {
      const context = await signedInContext({ viewport });
      const page = await newPage(context);
      // The API's answers wait until the loading state has painted, however fast the API is.
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const held: string[] = [];
      await page.route(`${stack.apiUrl}/**`, async (route) => {
        if (route.request().method() !== 'OPTIONS') held.push(new URL(route.request().url()).pathname);
        await gate;
        await route.continue();
      });
      await page.goto(`${stack.siteUrl}/dashboard`);
      // Hydration starts the calls; a CPU-starved machine can take seconds to get there.
      await expect.poll(() => [...held].sort(), { timeout: 20_000 }).toEqual(['/readyz', '/v1/me', '/v1/preferences']);
      expect(await page.locator('.skeleton').count()).toBeGreaterThan(0);
      await afterNextPaint(page);
      shots.push(await screenshot(page, `dashboard-loading-${viewport.width}`));

      const releasedAt = await page.evaluate(() => performance.now());
      release();
      await page.getByTestId('readiness').waitFor();
      await page.getByTestId('tenant-name').waitFor();
      await page.locator('form:not([inert])').waitFor();
      await afterNextPaint(page);
      // Every shift since navigation counts, also while the HTML is parsed and hydrated: a card once moved
      // when the last card of the grid arrived and changed its column count (CPU-starved runs showed it).
      const shifts = await layoutShifts(page);
      const total = shifts.reduce((sum, shift) => sum + shift.value, 0);
      expect(total, JSON.stringify({ releasedAt, shifts })).toBe(0);
      await context.close();
    });
  }

  it('API reference: renders every operation from the API origin alone, under a CSP without unsafe-inline', async () => {
    const context = await newContext();
    const api = new URL(stack.apiUrl);
    const elsewhere: string[] = [];
    // The network is the API's origin and nothing else: a CDN script or font would be refused here.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.origin === api.origin) return route.continue();
      elsewhere.push(url.href);
      return route.abort();
    });
    const page = await newPage(context);
    const res = await page.goto(`${stack.apiUrl}/docs`);
    const policy = res?.headers()['content-security-policy'] ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toMatch(/https?:/);
    await page.locator('.opblock').first().waitFor();
    const spec = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as { paths: Record<string, object> };
    const operations = Object.values(spec.paths).flatMap((ops) => Object.keys(ops)).length;
    expect(await page.locator('.opblock').count()).toBe(operations);
    expect(await page.getByRole('heading', { name: /MeatyMusic AMCS API/ }).count()).toBeGreaterThan(0);
    expect(elsewhere).toEqual([]);
    shots.push(await screenshot(page, 'api-reference'));
    await context.close();
  });

  it('sign-in: Continue pressed before the page script has loaded still signs in', async () => {
    const context = await newContext();
    const page = await newPage(context);
    // The site's scripts wait until the form has been sent, as on a cold dev server.
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(`${stack.siteUrl}/**/*.js`, async (route) => {
      await gate;
      await route.continue();
    });
    // Module scripts hold back DOMContentLoaded: the page counts as shown once its form is there.
    await page.goto(`${stack.siteUrl}/sign-in?redirect_url=%2Fdashboard`, { waitUntil: 'commit' });
    await page.getByLabel('User id').waitFor();
    await page.getByLabel('User id').fill(DEV_USER);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/sign-in\/?\?.*user=/, { waitUntil: 'commit' });
    release();
    await page.waitForURL(/\/dashboard\/?$/);
    expect(await page.evaluate(() => localStorage.getItem('meatymusic.dev-user'))).toBe(DEV_USER);
    await page.getByTestId('tenant-name').filter({ hasText: 'MeatyMusic Dev' }).waitFor();
    await context.close();
  });

  it('sign-in: a second dev user, as a member, is told apart from the first by email and role', async () => {
    const second = `${DEV_USER}_b`;
    const context = await newContext();
    const page = await newPage(context);
    await page.goto(`${stack.siteUrl}/sign-in?redirect_url=%2Fdashboard`);
    await page.getByLabel('User id').fill(second);
    await page.getByLabel('Role').selectOption('member');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/dashboard\/?$/);
    // Waits as long as a page load may take on a busy machine (expect.poll gives up after a second).
    await page.getByTestId('account').getByText(`dev+${second}@meatymusic.local`).waitFor();
    const account = await page.getByTestId('account').textContent();
    expect(account).toMatch(/Rolemember/);
    const first = await apiMe();
    expect(first.user.email).not.toBe(`dev+${second}@meatymusic.local`);
    expect(first.user.role).toBe('admin');
    await context.close();
  });

  it('dashboard on a 390 px phone: limits on the inputs, save results in the panel, no toast over a field', async () => {
    const context = await signedInContext({ viewport: { width: 390, height: 844 } });
    const page = await newPage(context);
    await openDashboard(page);
    const genre = page.getByLabel('Default genre');
    expect(await genre.getAttribute('maxlength')).toBe('64');
    expect(await page.getByLabel('Language and region').getAttribute('maxlength')).toBe('35');
    await genre.fill('');
    await genre.pressSequentially('g'.repeat(70));
    expect((await genre.inputValue()).length).toBe(64);
    await page.getByText('Up to 64 characters (64 used)').waitFor();

    await genre.fill('minimal techno');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.getByRole('status').getByText('Preferences saved').waitFor();

    // The API goes away for the next save: the panel says so, next to the form it is about.
    await page.route(`${stack.apiUrl}/v1/preferences`, (route) =>
      route.request().method() === 'PUT' ? route.abort('connectionrefused') : route.continue(),
    );
    await genre.fill('ambient');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    const notSaved = page.getByTestId('not-saved');
    await notSaved.waitFor();
    expect(await notSaved.textContent()).toMatch(/^Not saved: /);
    expect(await page.getByRole('status').count()).toBe(0);
    expect(await genre.inputValue()).toBe('ambient');
    shots.push(await screenshot(page, 'dashboard-not-saved-390'));

    const toastBoxes = await page
      .locator('.toast')
      .evaluateAll((items) => items.map((item) => item.getBoundingClientRect().toJSON() as DOMRect));
    const fieldBoxes = await page
      .locator('form input, form select')
      .evaluateAll((items) => items.map((item) => item.getBoundingClientRect().toJSON() as DOMRect));
    const overlaps = (a: DOMRect, b: DOMRect) =>
      a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    expect(toastBoxes.filter((t) => fieldBoxes.some((f) => overlaps(t, f)))).toEqual([]);
    await context.close();
  });

  it('dashboard: with the API down, each panel shows an error state, not a blank page', async () => {
    await stack.stopApi();
    const context = await signedInContext();
    const page = await newPage(context);
    await page.goto(`${stack.siteUrl}/dashboard`);
    await page.getByText('The API is unreachable.').waitFor();
    await page.getByText('Could not load your account.').waitFor();
    await page.getByText('Could not load your preferences.').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Dashboard');
    // Three islands failed for one reason: one toast says so.
    const toasts = page.getByRole('region', { name: 'Notifications' }).getByRole('listitem');
    expect(await toasts.allTextContents()).toEqual([expect.stringMatching(/^Cannot reach the API at /)]);
    shots.push(await screenshot(page, 'dashboard-api-down'));
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  it('raised no uncaught errors in any page', () => {
    expectPagesWatched();
    expect(pageErrors).toEqual([]);
  });

  it('raised no Content-Security-Policy violation in any page (home, sign-in, dashboard loading, saving, conflict, API down)', () => {
    expectPagesWatched();
    expect(cspViolations).toEqual([]);
  });

  it('reports the JavaScript each page ships, within budget', () => {
    expect(Object.keys(shipped)).toEqual(expect.arrayContaining(['/', '/dashboard']));
    writeFileSync(join(ARTIFACTS, 'js-bytes.json'), `${JSON.stringify(shipped, null, 2)}\n`);
    console.log(
      [
        'JS shipped per page (raw / gzip bytes):',
        ...Object.entries(shipped).map(([page, s]) => `  ${page}: ${s.raw} / ${s.gzip} in ${s.files.length} scripts`),
        'Screenshots:',
        ...shots.map((s) => `  ${s}`),
      ].join('\n'),
    );
    expect(shipped['/']?.raw).toBe(0);
    // React DOM is ~66 KB of it; the islands, client and toasts must stay small around it.
    expect(shipped['/dashboard']?.gzip).toBeLessThan(100_000);
  });
});
