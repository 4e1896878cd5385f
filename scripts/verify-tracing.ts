import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { retry } from './dev/wait';
import { type ExportedSpan, jaegerSource, receiverSource, type SpanSource } from './otlp/span-source';

/**
 * Checks that a running API exports its traces: health, the service name on exported spans, an
 * incoming `traceparent` continued, `/` traced, distinct traces for distinct requests. One PASS or
 * FAIL line per check; exit code 1 when any fails.
 *
 *   tsx scripts/verify-tracing.ts --api http://127.0.0.1:8787 --receiver http://127.0.0.1:4318
 *   tsx scripts/verify-tracing.ts --api http://127.0.0.1:8787 --jaeger http://127.0.0.1:16686
 */

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

const optionsSchema = z
  .object({
    api: z.url(),
    receiver: z.url().optional(),
    jaeger: z.url().optional(),
    service: z.string().min(1).default('meatymusic-api'),
    traceparent: z.string().regex(TRACEPARENT, 'a version-00 traceparent').optional(),
    timeoutMs: z.coerce.number().int().min(100).max(120_000).default(15_000),
  })
  .refine((o) => Boolean(o.receiver) !== Boolean(o.jaeger), 'give exactly one of --receiver or --jaeger');

export type VerifyTracingOptions = z.input<typeof optionsSchema>;
export type CheckResult = { name: string; ok: boolean; detail: string };

export async function verifyTracing(input: VerifyTracingOptions): Promise<CheckResult[]> {
  const options = optionsSchema.parse(input);
  const api = options.api.replace(/\/+$/, '');
  const source = sourceOf(options);
  const spansOf = (traceId: string, what: (spans: ExportedSpan[]) => boolean = (s) => s.length > 0) =>
    retry(
      `spans of trace ${traceId} at ${source.describe}`,
      async () => {
        const spans = await source.spansOf(traceId);
        if (!what(spans)) throw new Error(`${spans.length} span(s) so far`);
        return spans;
      },
      { timeoutMs: options.timeoutMs, intervalMs: 250 },
    );
  const request = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${api}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
    await response.body?.cancel();
    return response;
  };
  const traceIdOf = (response: Response) => {
    const id = response.headers.get('X-Trace-ID');
    if (!id || !/^[0-9a-f]{32}$/.test(id)) throw new Error(`no X-Trace-ID on ${response.url}`);
    return id;
  };

  const results: CheckResult[] = [];
  const check = async (name: string, run: () => Promise<string>) => {
    try {
      results.push({ name, ok: true, detail: await run() });
    } catch (error) {
      results.push({ name, ok: false, detail: error instanceof Error ? error.message : String(error) });
    }
  };

  await check('health', async () => {
    const response = await fetch(`${api}/healthz`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`GET /healthz -> ${response.status}`);
    const body = z.object({ status: z.literal('ok') }).parse(await response.json());
    return `GET /healthz -> ${response.status} ${body.status}`;
  });

  let rootTrace: ExportedSpan[] = [];
  await check('root endpoint traced', async () => {
    const traceId = traceIdOf(await request('/'));
    rootTrace = await spansOf(traceId, (spans) => spans.some((s) => s.name === 'GET /'));
    return `GET / -> trace ${traceId}: ${rootTrace.map((s) => s.name).join(', ')}`;
  });

  await check('service name', async () => {
    if (rootTrace.length === 0) throw new Error('no exported spans to read it from (see "root endpoint traced")');
    const names = new Set(rootTrace.map((s) => s.serviceName));
    if (names.size !== 1 || !names.has(options.service)) {
      throw new Error(`expected ${options.service}, spans say ${[...names].join(', ')}`);
    }
    return `service.name = ${options.service}`;
  });

  await check('traceparent propagated', async () => {
    const traceparent =
      options.traceparent ?? `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    const [, traceId, parentId] = TRACEPARENT.exec(traceparent) as unknown as [string, string, string];
    const response = await request('/', { traceparent });
    if (traceIdOf(response) !== traceId) throw new Error(`X-Trace-ID ${traceIdOf(response)}, sent ${traceId}`);
    const spans = await spansOf(traceId, (s) => s.some((span) => span.parentSpanId === parentId));
    const child = spans.find((s) => s.parentSpanId === parentId);
    return `trace ${traceId} continued: "${child?.name}" is a child of the caller's span ${parentId}`;
  });

  await check('distinct traces', async () => {
    const responses = await Promise.all([request('/'), request('/'), request('/')]);
    const ids = responses.map(traceIdOf);
    if (new Set(ids).size !== ids.length) throw new Error(`trace ids repeat: ${ids.join(', ')}`);
    await Promise.all(ids.map((id) => spansOf(id)));
    return `${ids.length} requests, ${ids.length} exported traces`;
  });

  return results;
}

function sourceOf({ receiver, jaeger }: { receiver?: string; jaeger?: string }): SpanSource {
  if (receiver) return receiverSource(receiver.replace(/\/+$/, ''));
  if (jaeger) return jaegerSource(jaeger.replace(/\/+$/, ''));
  throw new Error('give --receiver or --jaeger');
}

const USAGE = `Usage: tsx scripts/verify-tracing.ts [--api URL] (--receiver URL | --jaeger URL) [options]

Checks that a running API exports its traces; one PASS or FAIL line per check, exit code 1 if any fails.

  --api URL            the API (default http://127.0.0.1:8787)
  --receiver URL       an OTLP receiver with /spans (npm run dev's: http://127.0.0.1:4318)
  --jaeger URL         a Jaeger query UI instead (docker compose: http://127.0.0.1:16686)
  --service NAME       service.name expected on the spans (default meatymusic-api)
  --traceparent VALUE  the caller's traceparent to continue (default: a random one)
  --timeout-ms N       how long to wait for spans to arrive (default 15000)
  -h, --help           this text`;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let values: ReturnType<typeof cliArgs>['values'];
  try {
    ({ values } = cliArgs());
  } catch (error) {
    console.error(`verify-tracing: ${error instanceof Error ? error.message : error}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const { 'timeout-ms': timeoutMs, help: _, ...rest } = values;
  const parsed = optionsSchema.safeParse({ ...rest, timeoutMs });
  if (!parsed.success) {
    console.error(
      `verify-tracing: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}`,
    );
    process.exit(2);
  }
  const results = await verifyTracing(parsed.data);
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name}: ${r.detail}`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}

function cliArgs() {
  return parseArgs({
    options: {
      api: { type: 'string', default: 'http://127.0.0.1:8787' },
      receiver: { type: 'string' },
      jaeger: { type: 'string' },
      service: { type: 'string' },
      traceparent: { type: 'string' },
      'timeout-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
