import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../scripts/dev/paths';

const run = promisify(execFile);

/** `docker compose` (v2 plugin) where it is installed, else the standalone docker-compose. */
function composeCommand(): string[] | null {
  if (spawnSync('docker', ['compose', 'version']).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version']).status === 0) return ['docker-compose'];
  return null;
}

const compose = composeCommand();
type Service = {
  image?: string;
  command?: string[];
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
  networks?: Record<string, unknown>;
  volumes?: (string | { source?: string; target: string })[];
  environment?: Record<string, string>;
};

describe('docker-compose.yml', () => {
  // Needs only the client, no engine; skipped (with this title) where Docker Compose is not installed.
  it.skipIf(!compose)('passes `docker compose config` and resolves to the stack the design asks for', async () => {
    const [bin, ...args] = compose!;
    const { stdout } = await run(bin!, [...args, '--project-directory', REPO_ROOT, 'config'], { cwd: REPO_ROOT });
    const config = parse(stdout) as { services: Record<string, Service>; networks: Record<string, { name?: string }> };
    const s = config.services;

    expect(Object.keys(s).sort()).toEqual(
      [
        'api',
        'grafana',
        'jaeger',
        'migrations',
        'otel-collector',
        'postgres',
        'prometheus',
        'redis',
        'upstash',
        'web',
      ].sort(),
    );
    expect(s.postgres?.image).toBe('pgvector/pgvector:pg16');
    expect(s.postgres?.healthcheck).toBeDefined();
    expect(s.redis?.image).toMatch(/^redis:7\.2/);
    expect(s.redis?.command?.join(' ')).toMatch(/--appendonly yes.*--maxmemory 256mb.*--maxmemory-policy allkeys-lru/);
    // The project's own Upstash-protocol endpoint, which runs @upstash/ratelimit's scripts (SRH cannot).
    expect(s.upstash?.command).toEqual(['npx', 'tsx', 'scripts/upstash-endpoint.ts']);
    expect(s.upstash?.environment).toMatchObject({ REDIS_URL: 'redis://redis:6379', UPSTASH_ENDPOINT_HOST: '0.0.0.0' });
    expect(s.api?.command).toContain('--var=UPSTASH_REDIS_REST_URL:http://upstash:8079');
    expect(s.api?.depends_on?.upstash?.condition).toBe('service_healthy');
    expect(s.migrations?.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(s.api?.depends_on?.migrations?.condition).toBe('service_completed_successfully');
    expect(s.api?.command?.join(' ')).toMatch(/wrangler dev --local/);
    expect(s.api?.command).toContain('--var=DEV_AUTH_BYPASS:true');
    expect(s.web?.command?.join(' ')).toMatch(/astro dev/);
    // Metrics: the collector's exporter scraped by Prometheus (with the rules), Grafana with the dashboard.
    expect(s['otel-collector']?.image).toMatch(/^otel\/opentelemetry-collector-contrib:/);
    const mounts = (name: string) =>
      (s[name]?.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source ?? ''}:${v.target}`));
    expect(mounts('prometheus')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/infra\/prometheus\/prometheus\.yml:\/etc\/prometheus\/prometheus\.yml/),
        expect.stringMatching(/infra\/prometheus:\/etc\/prometheus\/rules/),
      ]),
    );
    expect(mounts('grafana')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/infra\/grafana\/provisioning:\/etc\/grafana\/provisioning/),
        expect.stringMatching(/infra\/grafana\/dashboards:\/var\/lib\/grafana\/dashboards/),
      ]),
    );
    // Data lives in named volumes, so `docker compose down` (without -v) keeps it.
    for (const name of ['postgres', 'redis']) {
      expect(JSON.stringify(s[name]?.volumes)).toMatch(/-data/);
    }
    expect(config.networks.meatymusic?.name).toBe('meatymusic');
    for (const [name, service] of Object.entries(s)) {
      expect(Object.keys(service.networks ?? {}), name).toEqual(['meatymusic']);
    }
  });
});

describe('infra/otel-collector.yaml', () => {
  it('receives OTLP and exports traces to Jaeger', () => {
    const collector = parse(readFileSync(`${REPO_ROOT}/infra/otel-collector.yaml`, 'utf8')) as {
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
      exporters: Record<string, { endpoint?: string }>;
    };
    expect(collector.service.pipelines.traces.receivers).toEqual(['otlp']);
    expect(collector.service.pipelines.traces.exporters).toContain('otlp/jaeger');
    expect(collector.exporters['otlp/jaeger']?.endpoint).toBe('jaeger:4317');
  });

  it("sums the Worker's metric deltas and serves them where infra/prometheus/prometheus.yml scrapes", () => {
    const collector = parse(readFileSync(`${REPO_ROOT}/infra/otel-collector.yaml`, 'utf8')) as {
      service: { pipelines: { metrics: { receivers: string[]; processors: string[]; exporters: string[] } } };
      exporters: Record<string, { endpoint?: string }>;
    };
    const metrics = collector.service.pipelines.metrics;
    expect(metrics.receivers).toEqual(['otlp']);
    expect(metrics.processors).toContain('deltatocumulative');
    expect(metrics.exporters).toEqual(['prometheus']);
    const port = collector.exporters.prometheus?.endpoint?.split(':').at(-1);
    const prometheus = parse(readFileSync(`${REPO_ROOT}/infra/prometheus/prometheus.yml`, 'utf8')) as {
      scrape_configs: { honor_labels?: boolean; static_configs: { targets: string[] }[] }[];
    };
    expect(prometheus.scrape_configs[0]?.static_configs[0]?.targets).toEqual([`otel-collector:${port}`]);
    expect(prometheus.scrape_configs[0]?.honor_labels).toBe(true);
  });
});
