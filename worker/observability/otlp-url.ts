/** OTLP/HTTP's rule for a base endpoint (OTEL_EXPORTER_OTLP_ENDPOINT): each signal goes to `/v1/<signal>` under it. */
export function signalUrl(endpoint: string, signal: 'traces' | 'metrics'): string {
  const url = new URL(endpoint);
  const path = `/v1/${signal}`;
  if (!url.pathname.endsWith(path)) url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  return url.toString();
}
