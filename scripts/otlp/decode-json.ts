import { z } from 'zod';
import type { Attributes, AttributeValue, ReceivedSpan } from './span';

/**
 * OTLP/HTTP JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): ids are hex,
 * 64-bit integers may arrive as strings, enums as numbers.
 */

type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  bytesValue?: string;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
};
type KeyValue = { key: string; value?: AnyValue };

const anyValue: z.ZodType<AnyValue> = z.lazy(() =>
  z.object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: z.union([z.string(), z.number()]).optional(),
    doubleValue: z.union([z.number(), z.string()]).optional(),
    bytesValue: z.string().optional(),
    arrayValue: z.object({ values: z.array(anyValue).optional() }).optional(),
    kvlistValue: z.object({ values: z.array(keyValue).optional() }).optional(),
  }),
);
const keyValue: z.ZodType<KeyValue> = z.lazy(() => z.object({ key: z.string(), value: anyValue.optional() }));
export const attributes = z.array(keyValue).optional();
export const nanos = z.union([z.string(), z.number()]).transform(String);

const span = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().optional(),
  name: z.string(),
  kind: z.number().int().optional(),
  startTimeUnixNano: nanos,
  endTimeUnixNano: nanos,
  attributes,
  events: z.array(z.object({ name: z.string(), attributes })).optional(),
  status: z.object({ code: z.number().int().optional(), message: z.string().optional() }).optional(),
});

const request = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes }).optional(),
        scopeSpans: z
          .array(z.object({ scope: z.object({ name: z.string().optional() }).optional(), spans: z.array(span) }))
          .optional(),
      }),
    )
    .optional(),
});

export function decodeJsonTraces(body: string): ReceivedSpan[] {
  const parsed = request.parse(JSON.parse(body));
  return (parsed.resourceSpans ?? []).flatMap((rs) => {
    const resource = attributeMap(rs.resource?.attributes);
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      ss.spans.map((s) => ({
        traceId: hexId(s.traceId),
        spanId: hexId(s.spanId),
        parentSpanId: s.parentSpanId ? hexId(s.parentSpanId) : null,
        name: s.name,
        kind: s.kind ?? 0,
        startTimeUnixNano: s.startTimeUnixNano,
        endTimeUnixNano: s.endTimeUnixNano,
        durationMs: durationMs(s.startTimeUnixNano, s.endTimeUnixNano),
        attributes: attributeMap(s.attributes),
        events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attributeMap(e.attributes) })),
        status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
        resource,
        scope: ss.scope?.name ?? '',
      })),
    );
  });
}

export function attributeMap(list: KeyValue[] | undefined): Attributes {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, plain(kv.value)]));
}

function plain(value: AnyValue | undefined): AttributeValue {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(plain);
  if (value.kvlistValue) return attributeMap(value.kvlistValue.values);
  return null;
}

/** The spec says hex; some older exporters sent base64. Either way the result is lowercase hex. */
function hexId(id: string): string {
  if (/^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

function durationMs(start: string, end: string): number {
  return Number(BigInt(end) - BigInt(start)) / 1e6;
}
