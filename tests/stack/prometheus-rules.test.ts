import { execFile, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../scripts/dev/paths';

const run = promisify(execFile);
const dir = `${REPO_ROOT}/infra/prometheus`;
const ruleFiles = readdirSync(dir)
  .filter((f) => f.endsWith('.rules.yml'))
  .map((f) => `${dir}/${f}`);
const testFiles = readdirSync(`${dir}/tests`)
  .filter((f) => f.endsWith('.test.yml'))
  .map((f) => `${dir}/tests/${f}`);

// Debian's `prometheus` package brings promtool; .ci/run installs it, so in CI its absence is a failure.
const promtool = spawnSync('promtool', ['--version']).status === 0;
const needPromtool = () => {
  if (!promtool) throw new Error('promtool is not installed (apt-get install prometheus)');
};

type Rule = { alert?: string; record?: string; annotations?: Record<string, string> };
const rules = ruleFiles.flatMap((file) =>
  (parse(readFileSync(file, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules),
);

describe('Prometheus rules (infra/prometheus)', () => {
  it.skipIf(!promtool && !process.env.CI)('pass `promtool check rules`', async () => {
    needPromtool();
    const { stdout } = await run('promtool', ['check', 'rules', ...ruleFiles]);
    expect(stdout).toMatch(/SUCCESS/);
  });

  it.skipIf(!promtool && !process.env.CI)('pass their `promtool test rules` unit tests', async () => {
    needPromtool();
    expect(testFiles.length).toBeGreaterThan(0);
    const result = await run('promtool', ['test', 'rules', ...testFiles]).catch((error: { stdout?: string }) => error);
    expect(result.stdout, String(result.stdout)).toMatch(/SUCCESS/);
    expect(result.stdout).not.toMatch(/FAILED/);
  });

  it('every alert is unit-tested and names an entry under "## Alerts" in docs/runbook.md', () => {
    const runbook = readFileSync(`${REPO_ROOT}/docs/runbook.md`, 'utf8');
    // From its heading to the next section of the same level (other sections belong to other topics).
    const alertsSection = /^## Alerts$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(runbook)?.[1] ?? '';
    const anchors = new Set(
      [...alertsSection.matchAll(/^### (.+)$/gm)].map((m) =>
        (m[1] ?? '')
          .trim()
          .toLowerCase()
          .replace(/[^\w-]/g, ''),
      ),
    );
    const tests = testFiles.map((f) => readFileSync(f, 'utf8')).join('\n');
    const alerts = rules.filter((r) => r.alert);
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    for (const rule of alerts) {
      const anchor = rule.annotations?.runbook?.match(/^docs\/runbook\.md#(.+)$/)?.[1];
      expect(anchor, `${rule.alert}: runbook annotation`).toBeDefined();
      expect(anchors.has(anchor ?? ''), `${rule.alert}: docs/runbook.md has no "### ..." for #${anchor}`).toBe(true);
      expect(tests, `${rule.alert}: no promtool test`).toContain(`alertname: ${rule.alert}\n`);
    }
  });
});
