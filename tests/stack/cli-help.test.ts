import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { packageBin, REPO_ROOT } from '../../scripts/dev/paths';

const tsx = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, [packageBin('tsx'), script, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

describe('command-line help', () => {
  it('verify-tracing --help prints its usage; an unknown option gets the usage, not a stack trace', () => {
    const help = tsx('scripts/verify-tracing.ts', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tsx scripts\/verify-tracing\.ts .*\n[\s\S]*--receiver URL/);
    const wrong = tsx('scripts/verify-tracing.ts', '--bogus');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^verify-tracing: Unknown option '--bogus'\n\nUsage:/);
    expect(wrong.stderr).not.toMatch(/ERR_PARSE_ARGS|\n\s+at /);
  });

  it('webhook:send lists the events it can send, and refuses one it cannot', () => {
    const help = tsx('scripts/webhook-send.ts', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/one of: user\.created, user\.updated, user\.deleted, organization\.created/);
    const wrong = tsx('scripts/webhook-send.ts', 'user.exploded');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^webhook:send: unknown event "user\.exploded"/);
  });
});
