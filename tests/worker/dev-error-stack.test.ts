import { env } from 'cloudflare:test';
import { DrizzleQueryError } from 'drizzle-orm';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../worker/config';
import { onError } from '../../worker/error-handler';
import { ApiError } from '../../worker/errors';
import type { AppEnv } from '../../worker/types';

/** Error responses in development, from the app's own handler. */
function devApp() {
  const settings = parseSettings({ ...env, ENVIRONMENT: 'development' } as unknown as Record<string, unknown>);
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set('settings', settings);
    await next();
  });
  app.get('/not-configured', () => {
    throw new ApiError(503, { code: 'webhooks_not_configured', message: 'CLERK_WEBHOOK_SECRET is not set' });
  });
  app.get('/bug', () => {
    throw new TypeError('boom');
  });
  app.get('/failed-query', () => {
    throw new DrizzleQueryError('select * from users where email = $1', ['private@example.com'], new TypeError('boom'));
  });
  app.onError(onError);
  return app;
}

describe('error bodies in development', () => {
  it('a deliberate 503 says what is missing, without a stack pointing into the bundle', async () => {
    const res = await devApp().request('/not-configured');
    expect(res.status).toBe(503);
    const { error } = (await res.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: 'webhooks_not_configured', message: 'CLERK_WEBHOOK_SECRET is not set' });
    expect(error).not.toHaveProperty('stack');
  });

  it('an unexpected 500 still carries its stack locally', async () => {
    const res = await devApp().request('/bug');
    expect(res.status).toBe(500);
    const { error } = (await res.json()) as { error: { stack?: string } };
    expect(error.stack).toMatch(/TypeError: boom/);
  });

  it("a failed statement's 500 shows the driver's error, never the statement or its parameters", async () => {
    const res = await devApp().request('/failed-query');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error.stack).toMatch(/TypeError: boom/);
    expect(text).not.toContain('private@example.com');
    expect(text).not.toContain('select');
  });
});
