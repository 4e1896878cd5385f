import { env } from 'cloudflare:test';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../worker/config';
import { onError } from '../../worker/error-handler';
import { auth } from '../../worker/middleware/auth';
import { createLogger } from '../../worker/observability/logger';
import type { AuthVariables, LoggerVariables, SettingsVariables } from '../../worker/types';

/** The auth middleware alone, with the development bypass on, answering with what it decided. */
function bypassApp() {
  const settings = parseSettings({
    ...env,
    ENVIRONMENT: 'development',
    DEV_AUTH_BYPASS: 'true',
  } as unknown as Record<string, unknown>);
  const app = new Hono<{ Variables: SettingsVariables & LoggerVariables & AuthVariables }>();
  app.use(async (c, next) => {
    c.set('settings', settings);
    c.set('logger', createLogger({ service: 'test', environment: 'development', level: 'error' }));
    await next();
  });
  app.use(auth());
  app.get('/who', (c) => c.json({ email: c.var.auth.email, role: c.var.auth.orgRole }));
  app.onError(onError as never);
  return app;
}

const who = (headers: Record<string, string>) => bypassApp().request('/who', { headers });

describe('dev users (the development bypass)', () => {
  it('each dev user has an address of their own, and X-Dev-Role makes one a member', async () => {
    const first = await (await who({ 'X-Dev-User': 'user_dev' })).json();
    const second = await (await who({ 'X-Dev-User': 'user_two', 'X-Dev-Role': 'member' })).json();
    expect(first).toEqual({ email: 'dev+user_dev@meatymusic.local', role: 'org:admin' });
    expect(second).toEqual({ email: 'dev+user_two@meatymusic.local', role: 'org:member' });
  });

  it('refuses a role that is not admin or member', async () => {
    const res = await who({ 'X-Dev-User': 'user_dev', 'X-Dev-Role': 'owner' });
    expect(res.status).toBe(401);
    // A name every object has is not a role either.
    expect((await who({ 'X-Dev-User': 'user_dev', 'X-Dev-Role': 'toString' })).status).toBe(401);
  });
});
