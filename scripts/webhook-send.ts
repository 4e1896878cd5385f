import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './dev/paths';
import { devEnv } from './local-env';
import { SAMPLE_TYPES, type SampleType, sampleEvent } from './webhooks/samples';
import { svixHeaders } from './webhooks/sign';

const USAGE = `Usage: npm run webhook:send -- <event> [--api URL] [--user ID] [--org ID]

Sends a sample Clerk event to POST /v1/webhooks/clerk, signed the way Svix signs it with
CLERK_WEBHOOK_SECRET (npm run dev sets a development one), and prints the answer.

  <event>       one of: ${SAMPLE_TYPES.join(', ')}
  --api URL     the API (default http://DEV_HOST:DEV_API_PORT, i.e. npm run dev's)
  --user ID     the Clerk user id in the payload (default user_sample)
  --org ID      the Clerk organization id in the payload (default org_sample)`;

const dotenv = join(REPO_ROOT, '.env');
if (existsSync(dotenv)) process.loadEnvFile(dotenv);
const env = devEnv();

let parsed: ReturnType<typeof cliArgs>;
try {
  parsed = cliArgs();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const type = positionals[0] as SampleType | undefined;
if (!type || !SAMPLE_TYPES.includes(type)) fail(type ? `unknown event "${type}"` : 'which event?');

const api = (values.api ?? `http://${env.DEV_HOST}:${env.DEV_API_PORT}`).replace(/\/+$/, '');
const body = JSON.stringify(sampleEvent(type, { userId: values.user, orgId: values.org }));
const response = await fetch(`${api}/v1/webhooks/clerk`, {
  method: 'POST',
  body,
  headers: svixHeaders(env.CLERK_WEBHOOK_SECRET, body),
  signal: AbortSignal.timeout(15_000),
}).catch((error: Error) => fail(`${api} does not answer (${error.message}): is npm run dev running?`));
console.log(`POST ${api}/v1/webhooks/clerk ${type} -> ${response.status} ${await response.text()}`);
process.exit(response.ok ? 0 : 1);

function cliArgs() {
  return parseArgs({
    allowPositionals: true,
    options: {
      api: { type: 'string' },
      user: { type: 'string', default: 'user_sample' },
      org: { type: 'string', default: 'org_sample' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

function fail(message: string): never {
  console.error(`webhook:send: ${message}\n\n${USAGE}`);
  process.exit(2);
}
