import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './dev/paths';
import { prettyLogLine } from './dev/pretty-log';
import { indent } from './dev/process';
import { type ServiceStatus, startStack } from './dev/stack';
import { formatTable } from './dev/table';
import { devEnv } from './local-env';

/**
 * `npm run dev`: the whole local stack in one terminal. Ctrl-C stops everything it started.
 * Flags: --no-api, --no-site, --no-redis. Settings: .env.example (DEV_* ports, DATABASE_URL, REDIS_URL).
 */

// A developer's .env (copied from .env.example) applies; variables set in the shell win.
const dotenv = join(REPO_ROOT, '.env');
if (existsSync(dotenv)) process.loadEnvFile(dotenv);

const { values: flags } = parseArgs({
  options: {
    'no-api': { type: 'boolean', default: false },
    'no-site': { type: 'boolean', default: false },
    'no-redis': { type: 'boolean', default: false },
  },
});
const env = devEnv();

// Postgres logs every checkpoint; the terminal only needs what went wrong (all of it is in .data/logs/).
// Redis's "Memory overcommit must be enabled" is about forking for a background save under memory
// pressure, a kernel setting a dev machine need not change for a 256 MB cache: it stays in redis.log.
// The migration's pgvector warning is said once, in plain words, by the stack itself; the migrations'
// own summary is in the status table.
const quiet: Record<string, (line: string) => boolean> = {
  postgres: (line) => /\b(WARNING|ERROR|FATAL|PANIC):/.test(line) && !/pgvector is not installed/.test(line),
  migrations: (line) => !/^migrations: |pgvector is not installed/.test(line),
  // Astro's server-side module runners (one per Vite environment) each announce their HMR link.
  site: (line) => !/\[vite\]\S* connected\./.test(line),
  redis: (line) => /WARNING|error/i.test(line) && !/Memory overcommit must be enabled/.test(line),
  prometheus: (line) => /level=(warn|error)/.test(line),
};
const say = (line: string) => console.log(line);

const abort = new AbortController();
const starting = startStack({
  dataDir: env.DEV_DATA_DIR,
  host: env.DEV_HOST,
  ports: {
    api: env.DEV_API_PORT,
    site: env.DEV_SITE_PORT,
    postgres: env.DEV_POSTGRES_PORT,
    redis: env.DEV_REDIS_PORT,
    upstash: env.UPSTASH_ENDPOINT_PORT,
    otlp: env.DEV_OTLP_PORT,
    inspector: env.DEV_INSPECTOR_PORT,
    prometheus: env.DEV_PROMETHEUS_PORT,
  },
  postgres: env.DATABASE_URL ? { url: env.DATABASE_URL } : 'local',
  redis: flags['no-redis'] ? 'off' : env.REDIS_URL ? { url: env.REDIS_URL } : 'local',
  traces: env.OTEL_EXPORTER_OTLP_ENDPOINT ? { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT } : 'local',
  appDatabasePassword: env.APP_DATABASE_PASSWORD,
  upstashToken: env.UPSTASH_TOKEN,
  webhookSecret: env.CLERK_WEBHOOK_SECRET,
  devUserId: env.DEV_USER_ID,
  api: !flags['no-api'],
  site: !flags['no-site'],
  say,
  onServiceLine: (service, line) => {
    if (!(quiet[service]?.(line) ?? true)) return;
    console.log(`[${service}] ${service === 'api' && env.LOG_FORMAT === 'pretty' ? prettyLogLine(line) : line}`);
  },
  signal: abort.signal,
});

// One Ctrl-C can arrive more than once (npm and tsx pass the terminal's SIGINT on to a process that
// got it too): a repeat within a second is the same press.
let stoppingSince = 0;
function shutdown(code: number, why = '\nstopping...') {
  if (stoppingSince) {
    if (Date.now() - stoppingSince > 1_000) say('still stopping: services get 10 s to exit before they are killed');
    return;
  }
  stoppingSince = Date.now();
  say(why);
  // Mid start-up, aborting makes startStack stop what it started before it rejects.
  abort.abort(new Error('interrupted'));
  starting
    .then((stack) => stack.stop())
    .catch(() => {})
    .finally(() => {
      say('Everything stopped.');
      process.exit(code);
    });
}
process.on('SIGINT', () => shutdown(130));
process.on('SIGTERM', () => shutdown(143));
process.on('SIGHUP', () => shutdown(129));

try {
  const stack = await starting;
  if (!stoppingSince) {
    say(`\n${table(stack.status)}\n`);
    say(`Ready. Dev sign-in: send "X-Dev-User: ${env.DEV_USER_ID}". Check it: npm run verify. Stop: Ctrl-C.`);
    // A service that dies stops the whole stack: a site or API left serving against nothing would look
    // alive while every request fails. Restarting could loop on the same error; a stop says it once.
    stack.died.then((death) => {
      console.error(
        `\n${death.name} stopped unexpectedly (${death.exit}). Last lines of ${death.logFile}:\n${indent(death.tail)}`,
      );
      shutdown(1, `stopping the stack: run npm run dev again once ${death.name}'s problem is fixed`);
    });
  }
} catch (error) {
  if (!stoppingSince) {
    console.error(`\nnpm run dev failed: ${error instanceof Error ? error.message : error}`);
    console.error(`Service logs: ${resolve(REPO_ROOT, env.DEV_DATA_DIR, 'logs')}/`);
    process.exit(1);
  }
}

function table(rows: ServiceStatus[]): string {
  return formatTable(rows.map((r) => [r.ok ? 'ok' : '!!', r.name, r.url ?? '', r.health]));
}
