import { Hono, type MiddlewareHandler } from 'hono';
import { importSPKI, type JWTPayload, jwtVerify } from 'jose';
import postgres from 'postgres';
import { createClient } from 'redis';
import { z } from 'zod';
import { tenantKeyFor } from '../../worker/tenancy/tenant-id';

/**
 * The same request as the API's, written the way a conventional long-running server does it: the
 * verification key imported once, a postgres.js pool kept open, one node-redis connection. Per request:
 * RS256 check, a sliding-window limit per user and per tenant (one Lua script each, sent together),
 * the membership through a Redis cache, then the read or write in a transaction scoped by
 * set_config (RLS), as the app role. No tracing, no request log: the Worker's untraced figures compare.
 */
export type PeerOptions = {
  databaseUrl: string;
  redisUrl: string;
  jwtPublicPem: string;
  authorizedParties: string[];
  poolSize?: number;
};

const LIMIT_PER_MINUTE = 1_000_000;
const WINDOW_MS = 60_000;
const CACHE_TTL_SECONDS = 300;

// Two fixed windows weighted by how much of the previous one still overlaps the sliding one.
const SLIDING_WINDOW = `
local limit, window, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local weight = (window - (now % window)) / window
if previous * weight + current >= limit then return -1 end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], window * 2) end
return limit - n`;

const Membership = z.object({
  tenant: z.object({ id: z.uuid(), name: z.string(), slug: z.string(), plan: z.string(), status: z.string() }),
  user: z.object({ id: z.uuid(), clerk_user_id: z.string(), role: z.string() }),
});
type Membership = z.infer<typeof Membership>;
const Patch = z.record(z.string(), z.unknown()).refine((p) => Object.keys(p).length <= 50);

type Claims = JWTPayload & { azp?: string; o?: { id?: string }; org_id?: string };
type Vars = { Variables: { membership: Membership } };

export async function createPeerApp({
  databaseUrl,
  redisUrl,
  jwtPublicPem,
  authorizedParties,
  poolSize = 10,
}: PeerOptions) {
  const key = await importSPKI(jwtPublicPem, 'RS256');
  const sql = postgres(databaseUrl, { max: poolSize, fetch_types: false, onnotice: () => {} });
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  const limiterSha = await redis.scriptLoad(SLIDING_WINDOW);

  const scoped = <T>(tenantId: string, run: (tx: postgres.TransactionSql) => Promise<T>) =>
    sql.begin(async (tx) => {
      await tx`select set_config('app.current_tenant_id', ${tenantId}, true)`;
      return run(tx);
    }) as Promise<T>;

  async function limited(subject: string) {
    const window = Math.floor(Date.now() / WINDOW_MS);
    const left = await redis.evalSha(limiterSha, {
      keys: [`peer:rl:${subject}:${window}`, `peer:rl:${subject}:${window - 1}`],
      arguments: [String(LIMIT_PER_MINUTE), String(WINDOW_MS), String(Date.now())],
    });
    return Number(left) < 0;
  }

  /** The caller's user and tenant rows, read fresh (GET /v1/me) or on a membership cache miss. */
  async function readMembership(tenantId: string, clerkUserId: string): Promise<Membership> {
    const [row] = await scoped(
      tenantId,
      (tx) => tx`select u.id as user_id, u.clerk_user_id, u.role, t.id as tenant_id, t.name, t.slug, t.plan, t.status
        from users u join tenants t on t.id = u.tenant_id where u.clerk_user_id = ${clerkUserId}`,
    );
    if (!row) throw new HttpError(404, 'not provisioned');
    return Membership.parse({
      tenant: { id: row.tenant_id, name: row.name, slug: row.slug, plan: row.plan, status: row.status },
      user: { id: row.user_id, clerk_user_id: row.clerk_user_id, role: row.role },
    });
  }

  async function membershipOf(tenantId: string, clerkUserId: string): Promise<Membership> {
    const cacheKey = `peer:membership:${tenantId}:${clerkUserId}`;
    const hit = await redis.get(cacheKey);
    if (hit) return Membership.parse(JSON.parse(hit));
    const membership = await readMembership(tenantId, clerkUserId);
    await redis.set(cacheKey, JSON.stringify(membership), { EX: CACHE_TTL_SECONDS });
    return membership;
  }

  const authenticated: MiddlewareHandler<Vars> = async function authenticated(c, next) {
    const token = c.req.header('authorization')?.match(/^Bearer (.+)$/)?.[1];
    if (!token) throw new HttpError(401, 'missing token');
    const { payload } = await jwtVerify<Claims>(token, key, { algorithms: ['RS256'] }).catch(() => {
      throw new HttpError(401, 'invalid token');
    });
    if (!payload.sub || !payload.azp || !authorizedParties.includes(payload.azp))
      throw new HttpError(401, 'invalid token');
    const tenant = await tenantKeyFor({
      userId: payload.sub,
      orgId: payload.o?.id ?? payload.org_id ?? null,
      tenantClaim: null,
    });
    const refused = await Promise.all([limited(`user:${payload.sub}`), limited(`tenant:${tenant.id}`)]);
    if (refused.some(Boolean)) throw new HttpError(429, 'rate limited');
    c.set('membership', await membershipOf(tenant.id, payload.sub));
    await next();
  };

  const preferencesKey = (m: Membership) => `peer:prefs:${m.tenant.id}:${m.user.id}`;
  const app = new Hono<Vars>()
    .onError((error, c) => {
      const status = error instanceof HttpError ? error.status : 500;
      return c.json({ error: { message: error.message } }, status as 401);
    })
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .use('/v1/*', authenticated)
    // As the API does: the cached membership resolves the caller, the answer is read fresh.
    .get('/v1/me', async (c) =>
      c.json(await readMembership(c.var.membership.tenant.id, c.var.membership.user.clerk_user_id)),
    )
    // `?cache=off` reads Postgres every time: the uncached read, from the same server.
    .get('/v1/preferences', async (c) => {
      const m = c.var.membership;
      const useCache = c.req.query('cache') !== 'off';
      const hit = useCache ? await redis.get(preferencesKey(m)) : null;
      if (hit) return c.json(JSON.parse(hit));
      const [row] = await scoped(
        m.tenant.id,
        (tx) => tx`select preferences, version, updated_at from user_preferences where user_id = ${m.user.id}`,
      );
      const document = {
        preferences: row?.preferences ?? {},
        version: row?.version ?? 0,
        updated_at: row?.updated_at ?? null,
      };
      if (useCache) await redis.set(preferencesKey(m), JSON.stringify(document), { EX: CACHE_TTL_SECONDS });
      return c.json(document);
    })
    .patch('/v1/preferences', async (c) => {
      const m = c.var.membership;
      const patch = Patch.safeParse(await c.req.json().catch(() => null));
      if (!patch.success) throw new HttpError(422, 'invalid document');
      const [row] = await scoped(m.tenant.id, async (tx) => {
        const [current] = await tx`select preferences from user_preferences where user_id = ${m.user.id} for update`;
        const merged = { ...(current?.preferences ?? {}), ...patch.data };
        return tx`update user_preferences set preferences = ${tx.json(merged as postgres.JSONValue)}, version = version + 1, updated_at = now()
          where user_id = ${m.user.id} returning preferences, version, updated_at`;
      });
      await redis.del(preferencesKey(m));
      return c.json({ preferences: row?.preferences, version: row?.version, updated_at: row?.updated_at });
    });

  return {
    app,
    close: async () => {
      await Promise.allSettled([sql.end(), redis.quit()]);
    },
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
