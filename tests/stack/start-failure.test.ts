import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startStack } from '../../scripts/dev/stack';
import { portsFrom, stackOptions } from './support';

const options = stackOptions({ ports: portsFrom(18450), redis: 'off', api: false, site: false });

afterAll(() => rmSync(options.dataDir, { recursive: true, force: true }));

describe('a service that fails while the stack starts', () => {
  it("is named together with its own last words, not only with 'exited before it was ready'", async () => {
    // A half-made cluster (PG_VERSION but no configuration): the server says so and exits at once.
    mkdirSync(join(options.dataDir, 'postgres'), { recursive: true, mode: 0o700 });
    writeFileSync(join(options.dataDir, 'postgres', 'PG_VERSION'), '9\n');
    const failure = await startStack(options).then(
      () => new Error('the stack started'),
      (error: Error) => error,
    );
    expect(failure.message).toMatch(
      /^postgres exited before it was ready \(code \d+\)\. Last lines of \S+postgres\.log:\n/,
    );
    expect(failure.message).toMatch(
      /\n {2}\| postgres: could not access the server configuration file .*postgresql\.conf/,
    );
  });
});
