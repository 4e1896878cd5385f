import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runChecks, stackChecks } from './dev/checks';
import { REPO_ROOT } from './dev/paths';
import { formatTable } from './dev/table';
import { readTarget, type StackTarget } from './dev/target';

/**
 * `npm run verify`: checks a running stack against the criteria and prints a table; exits 1
 * if any fails. Target: the stack `npm run dev` is running (its `<data dir>/stack.json`), else the
 * docker-compose one on its published ports. Flags: --stack-file <path>, --docker.
 */

const { values: flags } = parseArgs({
  options: {
    'stack-file': { type: 'string' },
    docker: { type: 'boolean', default: false },
  },
});

const dotenv = join(REPO_ROOT, '.env');
if (existsSync(dotenv)) process.loadEnvFile(dotenv);

// The docker-compose stack's published ports and credentials, with docker-compose.yml's defaults.
const dockerEnv = z.object({
  DEV_DATA_DIR: z.string().min(1).default('.data'),
  API_PORT: z.coerce.number().int().default(8787),
  WEB_PORT: z.coerce.number().int().default(4321),
  POSTGRES_PORT: z.coerce.number().int().default(5432),
  POSTGRES_USER: z.string().default('postgres'),
  POSTGRES_PASSWORD: z.string().default('postgres'),
  POSTGRES_DB: z.string().default('meatymusic'),
  UPSTASH_ENDPOINT_PORT: z.coerce.number().int().default(8079),
  UPSTASH_TOKEN: z.string().min(1).default('meatymusic-local-upstash-token'),
  JAEGER_UI_PORT: z.coerce.number().int().default(16686),
  PROMETHEUS_PORT: z.coerce.number().int().default(9090),
});

function target(): { from: string; target: StackTarget } {
  const env = dockerEnv.parse(process.env);
  const file = flags['stack-file'] ?? resolve(REPO_ROOT, env.DEV_DATA_DIR, 'stack.json');
  if (!flags.docker && (flags['stack-file'] || existsSync(file))) return { from: file, target: readTarget(file) };
  const local = (port: number) => `http://127.0.0.1:${port}`;
  const user = encodeURIComponent(env.POSTGRES_USER);
  const password = encodeURIComponent(env.POSTGRES_PASSWORD);
  return {
    from: 'docker compose (published ports)',
    target: {
      kind: 'docker',
      apiUrl: local(env.API_PORT),
      siteUrl: local(env.WEB_PORT),
      databaseUrl: `postgres://${user}:${password}@127.0.0.1:${env.POSTGRES_PORT}/${env.POSTGRES_DB}`,
      upstash: { url: local(env.UPSTASH_ENDPOINT_PORT), token: env.UPSTASH_TOKEN },
      traces: { kind: 'jaeger', url: local(env.JAEGER_UI_PORT) },
      metrics: { kind: 'prometheus', url: local(env.PROMETHEUS_PORT) },
      logs: { kind: 'docker-compose', service: 'api' },
    },
  };
}

const { from, target: stack } = target();
console.log(`Verifying the ${stack.kind} stack (${from})\n`);
const results = await runChecks(stackChecks(stack));
console.log(
  formatTable([['criterion', 'result', 'detail'], ...results.map((r) => [r.name, r.ok ? 'PASS' : 'FAIL', r.detail])]),
);
const failed = results.filter((r) => !r.ok).length;
console.log(`\n${results.length - failed}/${results.length} criteria met`);
process.exit(failed ? 1 : 0);
