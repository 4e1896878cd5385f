import { instrument, OTLPExporter, type TraceConfig } from '@microlabs/otel-cf-workers';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Settings } from '../config';
import { ConsoleTraceExporter } from './console-exporter';
import { createLogger } from './logger';
import { signalUrl } from './otlp-url';
import { TraceSpanProcessor } from './span-processor';
import { throttledWarning } from './throttled-warning';

/**
 * The Worker's handler with OpenTelemetry tracing around it, or unchanged when tracing is off or the
 * exporter is `none` (OBS_OTEL_EXPORTER_TYPE). Without instrumentation the trace-id middleware still gives every log line a trace id (the caller's, or a fresh one).
 */
export function withTracing<H extends ExportedHandler<Env>>(handler: H, settings: Settings): H {
  const config = traceConfig(settings);
  return config ? (instrument(handler, config) as H) : handler;
}

export function traceConfig(settings: Settings): TraceConfig | null {
  const { obs, service, environment } = settings;
  if (!obs.tracingEnabled) return null;
  const logger = createLogger({ service: service.name, environment, level: obs.logLevel });
  const exporter =
    obs.exporter === 'otlp' && obs.otlp
      ? new OTLPExporter({ url: tracesUrl(obs.otlp.endpoint), headers: obs.otlp.headers })
      : obs.exporter === 'console'
        ? new ConsoleTraceExporter(logger)
        : null;
  if (!exporter) return null;
  return {
    service: { name: service.name, version: service.version },
    spanProcessors: new TraceSpanProcessor(exporter, {
      // Both keys: `deployment.environment` is deprecated but still what many backends group by.
      resource: resourceFromAttributes({
        'deployment.environment.name': environment,
        'deployment.environment': environment,
      }),
      onExportError: throttledWarning(logger, 'span export failed', 'dropped_spans'),
    }),
    // The caller's trace id is always continued, but its sampled flag is only a wish: an outside client
    // could otherwise have every request traced and exported. Trusted callers (by config) decide.
    sampling: { headSampler: { ratio: obs.sampleRatio, acceptRemote: obs.trustParentSampling } },
    handlers: { fetch: { acceptTraceContext: true } },
    fetch: { includeTraceContext: true },
  };
}

/** OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL; traces go to `/v1/traces` under it. */
export const tracesUrl = (endpoint: string): string => signalUrl(endpoint, 'traces');
