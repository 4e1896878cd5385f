import type { MiddlewareHandler } from 'hono';
import { getSettings } from '../config';
import type { SettingsVariables } from '../types';

/** Parses (once per isolate) and exposes the validated settings; a bad config fails every request loudly. */
export function settings(): MiddlewareHandler<{ Bindings: Env; Variables: SettingsVariables }> {
  return async function settings(c, next) {
    c.set('settings', getSettings(c.env));
    await next();
  };
}
