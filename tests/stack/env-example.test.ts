import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/dev/paths';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const example = read('.env.example');
/** Every `KEY=` line, commented out (a documented default) or not. */
const documented = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));

/** Keys of the zod objects in a config module: two-space-indented `UPPER_CASE:` properties. */
const schemaKeys = (path: string) => [...read(path).matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!);

describe('.env.example', () => {
  it.each([
    ['worker/config.ts', ['HYPERDRIVE', 'CLIENT_LIMITER']],
    ['scripts/local-env.ts', []],
  ])('documents every variable %s reads', (path, bindings) => {
    const keys = schemaKeys(path).filter((k) => !bindings.includes(k));
    expect(keys.length).toBeGreaterThan(3);
    expect(keys.filter((k) => !documented.has(k))).toEqual([]);
  });

  it('documents every variable docker-compose.yml interpolates', () => {
    const used = [...read('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(5);
    expect([...new Set(used)].filter((k) => !documented.has(k))).toEqual([]);
  });

  it('documents the Hyperdrive local connection the HYPERDRIVE binding uses', () => {
    expect(documented.has('CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE')).toBe(true);
  });
});
