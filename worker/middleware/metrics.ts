import type { MiddlewareHandler } from 'hono';
import type { Settings } from '../config';
import { toApiError } from '../error-handler';
import { createLogger } from '../observability/logger';
import { DeltaStore } from '../observability/metrics/delta-store';
import { createMetricsExporter, type MetricsExporter } from '../observability/metrics/exporter';
import { createRecorder, NO_METRICS, recordRequest } from '../observability/metrics/recorder';
import { routeTemplate } from '../observability/route-template';
import type { MetricsVariables, SettingsVariables, TenantVariables } from '../types';

export type MetricsOptions = {
  /** Where measurements wait for export; one per isolate unless a test brings its own. */
  store?: DeltaStore;
};

const isolateStore = new DeltaStore();
const exporters = new WeakMap<DeltaStore, MetricsExporter>();

/**
 * Counts every request (by route template, method and status) and puts a recorder on the context
 * for the decisions made further in (dependency calls, bypasses, cache, rate limits). Counting does
 * not depend on trace sampling; the export runs in `waitUntil`, after the response is sent.
 * Mount right after settings, so nothing answered further in goes uncounted.
 */
export function metrics({ store = isolateStore }: MetricsOptions = {}): MiddlewareHandler<{
  Variables: SettingsVariables & MetricsVariables & Partial<TenantVariables>;
}> {
  return async function metrics(c, next) {
    const settings = c.get('settings');
    const config = settings.obs.metrics;
    if (!config) {
      c.set('metrics', NO_METRICS);
      return next();
    }
    c.set('metrics', createRecorder(store));
    const started = performance.now();
    await next();
    recordRequest(store, {
      method: c.req.method,
      route: routeTemplate(c),
      status: c.res.status,
      seconds: (performance.now() - started) / 1000,
      // The code the error response carries (a driver's connection error is `database_unavailable`).
      errorCode: c.error === undefined ? undefined : toApiError(c.error).code,
      tenantId: c.get('tenant')?.id,
    });
    const exported = exporterFor(store, settings, config).exportSoon();
    if (exported) c.executionCtx.waitUntil(exported);
  };
}

function exporterFor(store: DeltaStore, settings: Settings, config: NonNullable<Settings['obs']['metrics']>) {
  let exporter = exporters.get(store);
  if (!exporter) {
    const { service, environment, obs } = settings;
    exporter = createMetricsExporter(store, {
      url: config.url,
      headers: config.headers,
      delayMs: config.exportDelayMs,
      resource: {
        'service.name': service.name,
        'service.version': service.version,
        'deployment.environment.name': environment,
        // One delta stream per isolate: a collector accumulates each on its own (see docs/observability.md).
        'service.instance.id': crypto.randomUUID(),
      },
      logger: createLogger({ service: service.name, environment, level: obs.logLevel }),
    });
    exporters.set(store, exporter);
  }
  return exporter;
}
