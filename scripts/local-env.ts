import { z } from 'zod';
import { APP_ROLE } from '../db/migrate';

/**
 * Node-side settings for the dev stack, migrations, tests and benchmarks: the one place scripts read
 * process.env. The Worker's own settings live in worker/config.ts.
 */
const schema = z.object({
  /** Owner/admin connection used for migrations. Its database is created if missing. */
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/meatymusic'),
  APP_DATABASE_PASSWORD: z.string().default('meatymusic_app'),
  TEST_DATABASE_NAME: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('meatymusic_test'),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  /** The local Upstash-protocol endpoint (scripts/upstash-endpoint.ts) in front of REDIS_URL. */
  UPSTASH_ENDPOINT_HOST: z.string().min(1).default('127.0.0.1'),
  UPSTASH_ENDPOINT_PORT: z.coerce.number().int().min(0).max(65_535).default(8079),
  UPSTASH_TOKEN: z.string().min(16).default('meatymusic-local-upstash-token'),
});

export type LocalEnv = z.infer<typeof schema>;

export function localEnv(env: NodeJS.ProcessEnv = process.env): LocalEnv {
  return parse(schema, env);
}

// Svix secrets are whsec_ + base64 of random bytes; these spell "meatymusic-development-webhooks!!".
const DEV_WEBHOOK_SECRET = 'whsec_bWVhdHltdXNpYy1kZXZlbG9wbWVudC13ZWJob29rcyEh';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);
// `KEY=` in an env file means unset, not an invalid URL.
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());

/**
 * `npm run dev`: here DATABASE_URL and REDIS_URL have no default, because unset means "start a local
 * one in DEV_DATA_DIR" rather than "use the server on the usual port".
 */
const devSchema = schema
  .pick({ APP_DATABASE_PASSWORD: true, UPSTASH_ENDPOINT_PORT: true, UPSTASH_TOKEN: true })
  .extend({
    DATABASE_URL: optionalUrl,
    REDIS_URL: optionalUrl,
    /** Set to send the API's spans elsewhere (a collector, Jaeger); unset runs the local OTLP receiver. */
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
    DEV_DATA_DIR: z.string().min(1).default('.data'),
    DEV_HOST: z.string().min(1).default('127.0.0.1'),
    DEV_API_PORT: port(8787),
    DEV_SITE_PORT: port(4321),
    DEV_POSTGRES_PORT: port(54320),
    DEV_REDIS_PORT: port(63790),
    DEV_OTLP_PORT: port(4318),
    DEV_INSPECTOR_PORT: port(9229),
    /** The API's log lines in the terminal: readable, or the JSON the Worker writes (api.log keeps JSON). */
    LOG_FORMAT: z.enum(['pretty', 'json']).default('pretty'),
    /**
     * The API's Svix signing secret in the dev stack, and what `npm run webhook:send` signs with. The
     * default is public, so it is for development only; a real one (from Clerk's dashboard) may be set.
     */
    CLERK_WEBHOOK_SECRET: z.string().startsWith('whsec_').default(DEV_WEBHOOK_SECRET),
    DEV_PROMETHEUS_PORT: port(9090),
    /** Who the dev sign-in bypass is (the Worker reads the same variable). */
    DEV_USER_ID: z.string().min(1).default('user_dev'),
  });

export type DevEnv = z.infer<typeof devSchema>;

export function devEnv(env: NodeJS.ProcessEnv = process.env): DevEnv {
  return parse(devSchema, env);
}

function parse<T extends z.ZodType>(s: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const parsed = s.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The Worker's connection: same server and database, logged in as the app role. */
export function appUrl(ownerUrl: string, password: string): string {
  const u = new URL(ownerUrl);
  u.username = APP_ROLE;
  u.password = password;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';
}
