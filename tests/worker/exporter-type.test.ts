import { env } from 'cloudflare:test';
import { OTLPExporter } from '@microlabs/otel-cf-workers';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseSettings } from '../../worker/config';
import { ConsoleTraceExporter } from '../../worker/observability/console-exporter';
import { traceConfig } from '../../worker/observability/tracing';

const settingsWith = (vars: Record<string, string>) =>
  parseSettings({ ...env, ...vars } as unknown as Record<string, unknown>);
const exporterOf = (vars: Record<string, string>) =>
  (traceConfig(settingsWith(vars)) as unknown as { spanProcessors: { exporter: unknown } } | null)?.spanProcessors
    .exporter ?? null;
const ENDPOINT = 'http://127.0.0.1:4318';

describe('OBS_OTEL_EXPORTER_TYPE', () => {
  it('chooses the exporter explicitly, whatever the endpoint says', () => {
    expect(exporterOf({ OBS_OTEL_EXPORTER_TYPE: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT })).toBeInstanceOf(
      OTLPExporter,
    );
    expect(exporterOf({ OBS_OTEL_EXPORTER_TYPE: 'console', OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT })).toBeInstanceOf(
      ConsoleTraceExporter,
    );
    expect(exporterOf({ OBS_OTEL_EXPORTER_TYPE: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT })).toBeNull();
  });

  it('unset keeps the old inference: otlp with an endpoint, console in development without one', () => {
    expect(settingsWith({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT }).obs.exporter).toBe('otlp');
    expect(settingsWith({ ENVIRONMENT: 'development', OTEL_EXPORTER_OTLP_ENDPOINT: '' }).obs.exporter).toBe('console');
  });

  it('otlp without an endpoint, or an unknown type, is refused at start-up with the variable named', () => {
    expect(() => settingsWith({ OBS_OTEL_EXPORTER_TYPE: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: required when OBS_OTEL_EXPORTER_TYPE is otlp/,
    );
    expect(() => settingsWith({ OBS_OTEL_EXPORTER_TYPE: 'jaeger' })).toThrow(ConfigError);
    expect(() => settingsWith({ OBS_OTEL_EXPORTER_TYPE: 'jaeger' })).toThrow(/OBS_OTEL_EXPORTER_TYPE/);
  });
});
