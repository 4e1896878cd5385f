import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import worker from '../../worker/index';

const BASE = 'http://api.test';

/** A request through the Worker exactly as deployed (its default export, its bindings). */
export const api = (path: string, init?: RequestInit) => exports.default.fetch(`${BASE}${path}`, init);

/**
 * The same Worker (its instrumented entry point) under other vars, e.g. ENVIRONMENT=production:
 * settings are parsed per env object. `handler` serves instead of the Worker when given: a test's own
 * app with the same bindings.
 */
export function apiWithVars(vars: Record<string, unknown>, handler: Pick<typeof worker, 'fetch'> = worker) {
  const overridden = { ...env, ...vars } as Env;
  return async (path: string, init?: RequestInit) => {
    const ctx = createExecutionContext();
    const res = await handler.fetch(new Request(`${BASE}${path}`, init), overridden, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}

export type ErrorBody = { error: { code: string; message: string; request_id: string; details?: unknown } };

export const jsonBody = (body: unknown, headers: Record<string, string> = {}) => ({
  body: JSON.stringify(body),
  headers: { 'Content-Type': 'application/json', ...headers },
});
