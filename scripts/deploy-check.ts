import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { unstable_readConfig } from 'wrangler';
import { MIGRATIONS_FOLDER } from '../db/migrate';
import { checkMigrationsFolder, describeFinding } from '../db/migration-safety';
import { ConfigError, DEPLOYED_SECRETS, parseSettings } from '../worker/config';
import { packageBin, REPO_ROOT } from './dev/paths';

/**
 * `npm run deploy:check -- --env <staging|production> [--var KEY:VALUE ...]`: everything that can be
 * known about a deploy before it happens. Offline: the env exists, its Hyperdrive ids are real ones,
 * its vars (with the `--var`s a preview adds) pass the Worker's own config rules, it lists every
 * required secret, the migrations pass the safety check, and the bundle builds with `--env`. With
 * CLOUDFLARE_API_TOKEN set it also asks Cloudflare which secrets the Worker has. Exit 1 on any failure.
 */

const DEPLOYED_ENVS = ['staging', 'production'] as const;
type DeployedEnv = (typeof DEPLOYED_ENVS)[number];
const HEX_ID = /^[0-9a-f]{32}$/;

type Check = { name: string; problems: string[]; note?: string };

const { values } = parseArgs({
  options: {
    env: { type: 'string', short: 'e' },
    var: { type: 'string', multiple: true, default: [] },
    config: { type: 'string', default: join(REPO_ROOT, 'wrangler.toml') },
  },
});

const env = values.env;
if (!DEPLOYED_ENVS.includes(env as DeployedEnv)) {
  console.error(
    env
      ? `deploy:check: unknown environment "${env}"; deploys go to one of: ${DEPLOYED_ENVS.join(', ')}`
      : `deploy:check: name the environment (--env ${DEPLOYED_ENVS.join(' | --env ')}); a deploy without one is refused`,
  );
  process.exit(2);
}

const configPath = resolve(values.config);
const overrides = Object.fromEntries(
  values.var.map((pair) => {
    const at = pair.indexOf(':');
    if (at < 1) {
      console.error(`deploy:check: --var expects KEY:VALUE, got "${pair}"`);
      process.exit(2);
    }
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);

const checks: Check[] = [];
const check = (name: string, run: () => string[] | { problems: string[]; note: string }) => {
  try {
    const out = run();
    checks.push(Array.isArray(out) ? { name, problems: out } : { name, ...out });
  } catch (error) {
    checks.push({ name, problems: [error instanceof Error ? error.message : String(error)] });
  }
};

const top = unstable_readConfig({ config: configPath });
const target = unstable_readConfig({ config: configPath, env });
const others = DEPLOYED_ENVS.filter((e) => e !== env).map((e) => unstable_readConfig({ config: configPath, env: e }));

check("Hyperdrive ids are real and this environment's own", () => {
  const problems: string[] = [];
  const local = new Set(top.hyperdrive.map((h: { id: string }) => h.id));
  const placeholder = (id: string) => !HEX_ID.test(id) || /^0+$/.test(id);
  if (target.hyperdrive.length === 0) problems.push('no [[hyperdrive]] binding in this environment');
  for (const { binding, id } of target.hyperdrive) {
    const where = `${binding} id "${id}"`;
    if (placeholder(id)) problems.push(`${where} is a placeholder: put the id of \`wrangler hyperdrive create\``);
    else if (local.has(id)) problems.push(`${where} is the local development id`);
    else if (others.some((other) => other.hyperdrive.some((h: { id: string }) => h.id === id))) {
      problems.push(
        `${where} is also ${others.map((o) => o.targetEnvironment).join(', ')}'s: each environment needs its own database`,
      );
    }
  }
  return problems;
});

check('every required secret is listed under secrets.required', () => {
  const listed = new Set(target.secrets?.required ?? []);
  const missing = DEPLOYED_SECRETS.filter((name) => !listed.has(name));
  return missing.length ? [`[env.${env}.secrets] required lacks: ${missing.join(', ')}`] : [];
});

check("the Worker's config accepts these vars", () => {
  // Stand-ins for the secrets (their presence is checked above and, with a token, below).
  const standIns = Object.fromEntries(DEPLOYED_SECRETS.map((name) => [name, 'stand-in']));
  try {
    parseSettings({
      ...standIns,
      UPSTASH_REDIS_REST_URL: 'https://stand-in.upstash.io',
      ...target.vars,
      ...overrides,
      HYPERDRIVE: { connectionString: 'postgres://stand-in' },
    });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
});

check('migrations pass the safety check', () => checkMigrationsFolder(MIGRATIONS_FOLDER).map(describeFinding));

check(`the bundle builds with --env ${env}`, () => {
  const outdir = mkdtempSync(join(tmpdir(), 'deploy-check-'));
  try {
    const build = spawnSync(
      process.execPath,
      [
        packageBin('wrangler'),
        'deploy',
        '--dry-run',
        '--config',
        configPath,
        '--env',
        env as string,
        '--outdir',
        outdir,
        ...Object.entries(overrides).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
    );
    if (build.status === 0) return [];
    return [`wrangler deploy --dry-run failed:\n${(build.stderr || build.stdout).trim()}`];
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

check('the Worker on Cloudflare has every required secret', () => {
  if (!process.env.CLOUDFLARE_API_TOKEN) {
    return { problems: [], note: 'skipped: no CLOUDFLARE_API_TOKEN (offline check only)' };
  }
  const list = spawnSync(
    process.execPath,
    [packageBin('wrangler'), 'secret', 'list', '--config', configPath, '--env', env as string, '--format', 'json'],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  if (list.status !== 0) return [`wrangler secret list failed:\n${(list.stderr || list.stdout).trim()}`];
  const names = new Set((JSON.parse(list.stdout) as { name: string }[]).map((s) => s.name));
  const missing = DEPLOYED_SECRETS.filter((name) => !names.has(name));
  return missing.length
    ? [`not set on ${target.name}: ${missing.join(', ')} (wrangler secret put <NAME> --env ${env})`]
    : [];
});

console.log(`deploy:check --env ${env} (${target.name}, ${configPath})`);
for (const { name, problems, note } of checks) {
  console.log(`${problems.length ? '✗' : '✓'} ${name}${note ? ` (${note})` : ''}`);
  for (const problem of problems) console.log(`    ${problem.replaceAll('\n', '\n    ')}`);
}
const failed = checks.filter((c) => c.problems.length).length;
console.log(failed ? `${failed} check(s) failed: do not deploy` : 'ready to deploy');
process.exit(failed ? 1 : 0);
