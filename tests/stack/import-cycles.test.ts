import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cycles, importGraph } from '../../scripts/check-cycles';

const work = mkdtempSync(join(tmpdir(), 'meatymusic-cycles-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function tree(files: Record<string, string>) {
  const root = mkdtempSync(join(work, 'tree-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('the import-cycle check (npm run lint)', () => {
  it('finds a cycle made only of type imports, across folders, and names its modules', () => {
    const root = tree({
      'worker/types.ts': "import type { Tenant } from './middleware/tenant';\nexport type Env = { t: Tenant };\n",
      'worker/middleware/tenant.ts': "import type { Env } from '../types';\nexport type Tenant = { env: Env };\n",
      'worker/app.ts': "import { x } from './lib';\n",
      'worker/lib/index.ts': 'export const x = 1;\n',
    });
    const found = cycles(importGraph(root)).map((group) => group.map((f) => f.slice(root.length + 1)));
    expect(found).toEqual([['worker/middleware/tenant.ts', 'worker/types.ts']]);
  });

  it('finds a module importing itself, and nothing in a graph that only points down', () => {
    expect(cycles(new Map([['a', ['a']]]))).toEqual([['a']]);
    expect(
      cycles(
        new Map([
          ['a', ['b', 'c']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('passes on this repository', () => {
    expect(cycles(importGraph())).toEqual([]);
  });
});
