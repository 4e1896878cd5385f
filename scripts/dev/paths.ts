import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: wrangler, astro and the migrator run from here whatever the caller's cwd. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A package's CLI script, to run with this Node rather than through npx and a shell. */
export function packageBin(pkg: string, name = pkg): string {
  const dir = join(REPO_ROOT, 'node_modules', pkg);
  const { bin } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    bin?: string | Record<string, string>;
  };
  const script = typeof bin === 'string' ? bin : bin?.[name];
  if (!script) throw new Error(`${pkg} has no "${name}" command`);
  return join(dir, script);
}
