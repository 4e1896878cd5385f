import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/dev/paths';

describe('README', () => {
  it('keeps exactly two set-up commands on its first screen', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const first = readme.slice(readme.indexOf('```sh\n') + 6, readme.indexOf('\n```', readme.indexOf('```sh\n')));
    expect(first.split('\n').map((line) => line.replace(/\s+#.*$/, ''))).toEqual([
      'npm install && npm run dev',
      'npm test',
    ]);
    expect(readme.indexOf('```sh\n')).toBeLessThan(readme.indexOf('\n## '));
  });
});
