import type { TestProject } from 'vitest/node';
import { startThrowawayUpstash } from '../support/redis-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The local Upstash-protocol endpoint every Redis-using test talks to, as UPSTASH_REDIS_REST_URL. */
    upstashUrl: string;
    upstashToken: string;
  }
}

/**
 * An empty Redis for this run behind the Upstash endpoint, with a fresh token. Not the machine's shared
 * Redis: the test database is recreated on every run, and cache entries from another run (or another
 * person's run, with its own database) would point at rows that do not exist here.
 */
export default async function setup(project: TestProject) {
  const { endpoint, close } = await startThrowawayUpstash('test');
  project.provide('upstashUrl', endpoint.url);
  project.provide('upstashToken', endpoint.token);
  return close;
}
