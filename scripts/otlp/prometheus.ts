import type { ReceivedMetricPoint } from './metric';
import type { Attributes } from './span';

/**
 * Received points as a Prometheus scrape target (text format 0.0.4), named and labelled the way the
 * OpenTelemetry Collector's `prometheus` exporter does it, so the same rules and dashboards work on
 * `npm run dev` and on docker-compose: dots become underscores, the unit becomes a suffix
 * (`s` -> `_seconds`, annotations like `{request}` are dropped), monotonic sums end in `_total`,
 * `job` is service.name and `instance` is service.instance.id. Deltas add up to cumulative series.
 */

type Series = {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  labels: Record<string, string>;
  value: number;
  count: number;
  sum: number;
  bounds: number[];
  buckets: number[];
};

const UNITS: Record<string, string> = { s: 'seconds', ms: 'milliseconds', By: 'bytes', '%': 'percent' };

export function prometheusName(point: Pick<ReceivedMetricPoint, 'name' | 'unit' | 'kind' | 'monotonic'>): string {
  let name = sanitize(point.name);
  const unit = UNITS[point.unit] ?? (/^\{.*\}$|^1$|^$/.test(point.unit) ? '' : sanitize(point.unit));
  if (unit && !name.endsWith(`_${unit}`)) name += `_${unit}`;
  if (point.kind === 'sum' && point.monotonic && !name.endsWith('_total')) name += '_total';
  return name;
}

const sanitize = (s: string) => s.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/^(\d)/, '_$1');

function labelsOf(attributes: Attributes, resource: Attributes): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) labels[sanitize(key)] = String(value);
  const job = [resource['service.namespace'], resource['service.name']].filter(Boolean).join('/');
  if (job) labels.job = job;
  if (resource['service.instance.id'] !== undefined) labels.instance = String(resource['service.instance.id']);
  return labels;
}

export class PrometheusSeries {
  #series = new Map<string, Series>();

  add(points: ReceivedMetricPoint[]): void {
    for (const p of points) {
      const name = prometheusName(p);
      const labels = labelsOf(p.attributes, p.resource);
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      const type = p.kind === 'histogram' ? 'histogram' : p.kind === 'sum' && p.monotonic ? 'counter' : 'gauge';
      let s = this.#series.get(key);
      if (!s || p.temporality !== 'delta') {
        s = { name, help: p.description, type, labels, value: 0, count: 0, sum: 0, bounds: [], buckets: [] };
        this.#series.set(key, s);
      }
      if (p.kind === 'histogram') {
        s.count += p.count ?? 0;
        s.sum += p.sum ?? 0;
        s.bounds = p.explicitBounds ?? [];
        (p.bucketCounts ?? []).forEach((n, i) => {
          s.buckets[i] = (s.buckets[i] ?? 0) + n;
        });
      } else {
        s.value += p.value ?? 0;
      }
    }
  }

  clear(): void {
    this.#series.clear();
  }

  text(): string {
    const byName = Map.groupBy(this.#series.values(), (s) => s.name);
    const out: string[] = [];
    for (const [name, series] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
      const first = series[0] as Series;
      out.push(
        `# HELP ${name} ${first.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
        `# TYPE ${name} ${first.type}`,
      );
      for (const s of series) {
        if (s.type !== 'histogram') {
          out.push(`${name}${labelText(s.labels)} ${s.value}`);
          continue;
        }
        let cumulative = 0;
        s.bounds.forEach((le, i) => {
          cumulative += s.buckets[i] ?? 0;
          out.push(`${name}_bucket${labelText({ ...s.labels, le: String(le) })} ${cumulative}`);
        });
        out.push(`${name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
        out.push(`${name}_sum${labelText(s.labels)} ${s.sum}`, `${name}_count${labelText(s.labels)} ${s.count}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return parts.length ? `{${parts.join(',')}}` : '';
}
