import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../../scripts/dev/paths';
import { prometheusName } from '../../scripts/otlp/prometheus';
import { INSTRUMENTS } from '../../worker/observability/metrics/instruments';

const run = promisify(execFile);
type Panel = { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] };
const dashboard = JSON.parse(readFileSync(`${REPO_ROOT}/infra/grafana/dashboards/meatymusic-api.json`, 'utf8')) as {
  uid: string;
  panels: Panel[];
};
const queried = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = queried.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));

/** What the Worker's instruments are called once the collector's prometheus exporter has named them. */
const exported = new Set(
  Object.values(INSTRUMENTS).flatMap((i) => {
    const histogram = 'bounds' in i;
    const name = prometheusName({ name: i.name, unit: i.unit, kind: histogram ? 'histogram' : 'sum', monotonic: true });
    return histogram ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name];
  }),
);
const recorded = new Set(
  (
    parse(readFileSync(`${REPO_ROOT}/infra/prometheus/slo.rules.yml`, 'utf8')) as {
      groups: { rules: { record?: string }[] }[];
    }
  ).groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
);

describe('Grafana dashboard (infra/grafana)', () => {
  it('has the panels an on-call person needs, on the provisioned Prometheus data source', () => {
    const datasource = parse(readFileSync(`${REPO_ROOT}/infra/grafana/provisioning/datasources/prometheus.yml`, 'utf8'))
      .datasources[0] as { uid: string; url: string };
    expect(datasource.url).toBe('http://prometheus:9090');
    for (const p of queried) expect(p.datasource?.uid, p.title).toBe(datasource.uid);
    const titles = queried.map((p) => p.title).join('\n');
    for (const wanted of [
      /request rate/i,
      /errors/i,
      /latency p50/i,
      /latency p95/i,
      /latency p99/i,
      /dependency latency/i,
      /bypasses/i,
      /cache hit ratio/i,
      /rate-limit/i,
      /auth failures/i,
      /webhook/i,
      /top tenants/i,
    ]) {
      expect(titles).toMatch(wanted);
    }
  });

  it('queries only metrics the Worker exports and rules infra/prometheus records', () => {
    expect(exported.has('http_server_request_duration_seconds_bucket')).toBe(true);
    for (const { title, expr } of exprs) {
      const selectors = [...expr.matchAll(/\b([a-z_][a-z0-9_]*)\{/g)].map((m) => m[1] ?? '');
      const rules = [...expr.matchAll(/\b([a-z_]+:[a-z0-9_:]+)/g)].map((m) => m[1] ?? '');
      expect(selectors.length + rules.length, title).toBeGreaterThan(0);
      for (const name of selectors) expect(exported.has(name), `${title}: ${name}`).toBe(true);
      for (const name of rules) expect(recorded.has(name), `${title}: ${name}`).toBe(true);
    }
  });

  // Every query, with Grafana's variables filled in, as a recording rule: promtool parses the PromQL.
  it.skipIf(spawnSync('promtool', ['--version']).status !== 0 && !process.env.CI)('has valid PromQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meatymusic-dashboard-'));
    try {
      const rules = exprs.map((e, i) => ({
        record: `dashboard:query_${i}`,
        expr: e.expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h'),
      }));
      writeFileSync(join(dir, 'dashboard.rules.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
      const { stdout } = await run('promtool', ['check', 'rules', join(dir, 'dashboard.rules.yml')]);
      expect(stdout).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
