import { Hono } from 'hono';
import type { AppEnv } from '../types';

export const meta = new Hono<AppEnv>().get('/', (c) => {
  const { service, environment } = c.get('settings');
  return c.json({
    message: service.title,
    description: service.description,
    service: service.name,
    version: service.version,
    environment,
    links: { health: '/healthz', readiness: '/readyz' },
  });
});
