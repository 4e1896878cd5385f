import { packageBin, REPO_ROOT } from './paths';
import type { SpawnServiceOptions } from './process';

type Command = Pick<SpawnServiceOptions, 'command' | 'args' | 'cwd' | 'env'>;

export type WranglerDevOptions = {
  host: string;
  port: number;
  inspectorPort: number;
  /** Where workerd keeps local state (caches, storage) for this instance. */
  persistTo: string;
  /** `--var`s: they win over wrangler.toml and .env. */
  vars: Record<string, string>;
  /** What the HYPERDRIVE binding connects to locally (the app role's URL). */
  databaseUrl: string;
  /** Another Worker's wrangler config (the bench's floor); the API's by default. */
  config?: string;
  /** A wrangler.toml environment (`--env`); the top level by default. */
  environment?: string;
  /** Where the secrets come from (`--env-file`), instead of `.dev.vars`/`.env` in the repository. */
  envFile?: string;
  env?: NodeJS.ProcessEnv;
};

/** `wrangler dev` in local mode: no Cloudflare login, no metrics, Hyperdrive to a local Postgres. */
export function wranglerDev(o: WranglerDevOptions): Command {
  return {
    command: process.execPath,
    args: [
      packageBin('wrangler'),
      'dev',
      ...(o.config ? ['--config', o.config] : []),
      ...(o.environment ? ['--env', o.environment] : []),
      ...(o.envFile ? ['--env-file', o.envFile] : []),
      '--local',
      '--ip',
      o.host,
      '--port',
      String(o.port),
      '--inspector-port',
      String(o.inspectorPort),
      '--persist-to',
      o.persistTo,
      '--show-interactive-dev-session=false',
      ...Object.entries(o.vars).flatMap(([key, value]) => ['--var', `${key}:${value}`]),
    ],
    cwd: REPO_ROOT,
    env: {
      ...(o.env ?? process.env),
      WRANGLER_SEND_METRICS: 'false',
      // Otherwise Miniflare downloads workers.cloudflare.com/cf.json for `request.cf` at every start and
      // prints the failure's stack when offline; its built-in placeholder values serve local work.
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: o.databaseUrl,
    },
  };
}
