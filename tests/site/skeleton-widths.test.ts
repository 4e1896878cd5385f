import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SKELETON_WIDTHS } from '../../site/components/StatusMessage';

// A placeholder's width comes from a stylesheet rule (the CSP refuses style=""): a width without its rule
// would collapse to the width of one space and let the loaded text shift what follows it.
describe('placeholder widths', () => {
  it('global.css sizes every width a Skeleton can take, and no other', () => {
    const css = readFileSync(join(import.meta.dirname, '../../site/styles/global.css'), 'utf8');
    const rules = [...css.matchAll(/\.skeleton\[data-width="([^"]+)"\]\s*\{\s*width:\s*([^;]+);\s*\}/g)];
    expect(rules.map(([, selector, width]) => ({ selector, width }))).toEqual(
      SKELETON_WIDTHS.map((width) => ({ selector: width, width })),
    );
  });
});
