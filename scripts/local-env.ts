import { z } from 'zod';

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
});

export type LocalEnv = z.infer<typeof schema>;

export function localEnv(env: NodeJS.ProcessEnv = process.env): LocalEnv {
  const parsed = schema.safeParse(env);
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
  u.username = 'meatymusic_app';
  u.password = password;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';
}
