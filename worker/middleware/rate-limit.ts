import { Ratelimit } from '@upstash/ratelimit';
import type { MiddlewareHandler } from 'hono';
import { tooManyRequests } from '../errors';
import type { AuthVariables, MetricsVariables, RedisVariables, SettingsVariables } from '../types';

export type RateLimitOptions = {
  /** Redis key prefix; each subject kind gets its own below it. */
  prefix?: string;
};

type Subject = { kind: 'user' | 'tenant'; id: string; perMinute: number };
type Verdict = { kind: Subject['kind']; success: boolean; limit: number; remaining: number; reset: number };

// Per isolate, shared by its requests: a subject over its limit is refused here until its window
// resets, without another Redis round trip. The library only ever holds blocked ids in it.
const blockedUntil = new Map<string, number>();

/**
 * Sliding-window limits per user and per tenant (@upstash/ratelimit). Every answer carries the
 * RateLimit-* headers of the tighter limit; over it, 429 with Retry-After. When Redis fails or is too
 * slow the request goes through (fail open, docs/decisions/003), logged at warn by the Redis accessor.
 * Mount right after auth and before tenant resolution: both subjects come from the verified token, so
 * a refused request never reaches provisioning and writes nothing.
 */
export function rateLimit({ prefix = 'mm:rl' }: RateLimitOptions = {}): MiddlewareHandler<{
  Variables: SettingsVariables & Partial<MetricsVariables> & RedisVariables & AuthVariables;
}> {
  return async function rateLimit(c, next) {
    const limits = c.get('settings').rateLimit;
    if (!limits.enabled || !c.get('redis').enabled) return next();
    const subjects: Subject[] = [
      { kind: 'user', id: c.get('auth').userId, perMinute: limits.userPerMinute },
      { kind: 'tenant', id: c.get('auth').tenant.id, perMinute: limits.tenantPerMinute },
    ];

    const outcome = await c.get('redis').run('ratelimit', (client) =>
      Promise.all(
        subjects.map(async (subject): Promise<Verdict> => {
          const limiter = new Ratelimit({
            redis: client,
            limiter: Ratelimit.slidingWindow(subject.perMinute, '60 s'),
            prefix: c.get('redis').key(`${prefix}:${subject.kind}`),
            ephemeralCache: blockedUntil,
            // Off: on expiry it answers "allowed" (reason 'timeout') as if Redis had said so. The
            // accessor's budget bounds the call instead and reports it as the failure it is.
            timeout: 0,
            analytics: false,
            enableTelemetry: false,
          });
          return { kind: subject.kind, ...(await limiter.limit(subject.id)) };
        }),
      ),
    );
    if (outcome.bypassed) {
      for (const s of subjects) c.get('metrics')?.rateLimit(s.kind, 'bypassed');
      return next();
    }
    for (const v of outcome.value) c.get('metrics')?.rateLimit(v.kind, v.success ? 'allowed' : 'rejected');

    const tightest = outcome.value.find((v) => !v.success) ?? minBy(outcome.value, (v) => v.remaining / v.limit);
    const resetSeconds = Math.max(1, Math.ceil((tightest.reset - Date.now()) / 1000));
    const headers = {
      'RateLimit-Limit': String(tightest.limit),
      'RateLimit-Remaining': String(Math.max(0, tightest.remaining)),
      'RateLimit-Reset': String(resetSeconds),
    };
    if (!tightest.success) {
      throw tooManyRequests(tightest.kind, resetSeconds, { limit: tightest.limit, headers });
    }
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    await next();
  };
}

function minBy<T>(items: T[], score: (item: T) => number): T {
  return items.reduce((best, item) => (score(item) < score(best) ? item : best));
}
