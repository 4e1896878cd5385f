import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './paths';
import { type ServiceProcess, startService } from './process';
import { onPath } from './redis';
import { httpGet } from './wait';

export type LocalPrometheusOptions = {
  /** Holds `prometheus/` (its config and time series) and the pid file; kept across runs. */
  dataDir: string;
  host: string;
  port: number;
  /** The Prometheus scrape endpoint of the local OTLP receiver (`<receiver>/metrics`). */
  scrapeUrl: string;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
};

/**
 * Prometheus from PATH (Debian's `prometheus` package) scraping the dev OTLP receiver, with the SLO
 * and alerting rules of infra/prometheus: the same queries, rules and alerts as docker-compose.
 */
export async function startLocalPrometheus({
  dataDir,
  host,
  port,
  scrapeUrl,
  onLine = () => {},
  signal,
}: LocalPrometheusOptions): Promise<{ url: string; process: ServiceProcess }> {
  const binary = onPath('prometheus');
  if (!binary) throw new Error('prometheus is not on PATH');
  const dir = resolve(dataDir, 'prometheus');
  mkdirSync(dir, { recursive: true });
  const target = new URL(scrapeUrl);
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `${JSON.stringify(
      {
        global: { scrape_interval: '5s', evaluation_interval: '15s' },
        rule_files: [join(REPO_ROOT, 'infra/prometheus/*.rules.yml')],
        scrape_configs: [
          {
            job_name: 'otlp-receiver',
            // The series carry job and instance from the Worker's resource (as docker-compose's do).
            honor_labels: true,
            metrics_path: target.pathname,
            static_configs: [{ targets: [target.host] }],
          },
        ],
      },
      null,
      2,
    )}\n`,
  );
  const url = `http://${host}:${port}`;
  const { service } = await startService({
    name: 'prometheus',
    command: binary,
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${host}:${port}`,
    ],
    pidFile: join(dataDir, 'run', 'prometheus.pid'),
    onLine,
    ready: () => httpGet(`${url}/-/ready`),
    timeoutMs: 30_000,
    signal,
  });
  return { url, process: service };
}
