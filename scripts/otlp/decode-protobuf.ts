import { type Attributes, type AttributeValue, durationMs, type ReceivedSpan } from './span';

/**
 * OTLP/HTTP protobuf (`application/x-protobuf`), the default encoding of most OTLP exporters and of
 * the collector. Only the fields a test or a check reads are decoded; the rest are skipped by wire
 * type, as protobuf readers do with unknown fields. Field numbers: opentelemetry-proto trace/v1,
 * common/v1 and resource/v1.
 */

type Field = { number: number; wire: number; varint: bigint; bytes: Uint8Array };

/** Iterates the fields of one message. */
function* fields(buf: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = () => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= buf.length) throw new Error('protobuf: truncated varint');
      const byte = buf[at++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      if (shift > 63n) throw new Error('protobuf: varint too long');
    }
  };
  const take = (n: number) => {
    if (at + n > buf.length) throw new Error('protobuf: truncated field');
    const out = buf.subarray(at, at + n);
    at += n;
    return out;
  };
  while (at < buf.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { number, wire, varint: varint(), bytes: new Uint8Array() };
    else if (wire === 1) yield { number, wire, varint: 0n, bytes: take(8) };
    else if (wire === 2) yield { number, wire, varint: 0n, bytes: take(Number(varint())) };
    else if (wire === 5) yield { number, wire, varint: 0n, bytes: take(4) };
    else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fixed64 = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
const double = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);

export function decodeProtobufTraces(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of fields(body)) {
    if (rs.number !== 1) continue; // ExportTraceServiceRequest.resource_spans
    let resource: Attributes = {};
    const scopes: Uint8Array[] = [];
    for (const f of fields(rs.bytes)) {
      if (f.number === 1) resource = attributesOf(f.bytes, 1); // ResourceSpans.resource -> Resource.attributes
      if (f.number === 2) scopes.push(f.bytes); // ResourceSpans.scope_spans
    }
    for (const ss of scopes) {
      let scope = '';
      for (const f of fields(ss)) {
        if (f.number === 1) for (const g of fields(f.bytes)) if (g.number === 1) scope = text(g.bytes);
        if (f.number === 2) spans.push({ ...span(f.bytes), resource, scope });
      }
    }
  }
  return spans;
}

function span(buf: Uint8Array): Omit<ReceivedSpan, 'resource' | 'scope'> {
  const s = {
    traceId: '',
    spanId: '',
    parentSpanId: null as string | null,
    name: '',
    kind: 0,
    startTimeUnixNano: '0',
    endTimeUnixNano: '0',
    attributes: {} as Attributes,
    events: [] as { name: string; attributes: Attributes }[],
    status: { code: 0, message: '' },
  };
  for (const f of fields(buf)) {
    if (f.number === 1) s.traceId = hex(f.bytes);
    else if (f.number === 2) s.spanId = hex(f.bytes);
    else if (f.number === 4) s.parentSpanId = f.bytes.length ? hex(f.bytes) : null;
    else if (f.number === 5) s.name = text(f.bytes);
    else if (f.number === 6) s.kind = Number(f.varint);
    else if (f.number === 7) s.startTimeUnixNano = fixed64(f.bytes).toString();
    else if (f.number === 8) s.endTimeUnixNano = fixed64(f.bytes).toString();
    else if (f.number === 9) Object.assign(s.attributes, keyValue(f.bytes));
    else if (f.number === 11) s.events.push(event(f.bytes));
    else if (f.number === 15) s.status = status(f.bytes);
  }
  return { ...s, durationMs: durationMs(s.startTimeUnixNano, s.endTimeUnixNano) };
}

function event(buf: Uint8Array) {
  let name = '';
  const attributes: Attributes = {};
  for (const f of fields(buf)) {
    if (f.number === 2) name = text(f.bytes);
    if (f.number === 3) Object.assign(attributes, keyValue(f.bytes));
  }
  return { name, attributes };
}

function status(buf: Uint8Array) {
  const out = { code: 0, message: '' };
  for (const f of fields(buf)) {
    if (f.number === 2) out.message = text(f.bytes);
    if (f.number === 3) out.code = Number(f.varint);
  }
  return out;
}

/** The repeated KeyValue field `number` of a message, as a map. */
function attributesOf(buf: Uint8Array, number: number): Attributes {
  const out: Attributes = {};
  for (const f of fields(buf)) if (f.number === number) Object.assign(out, keyValue(f.bytes));
  return out;
}

function keyValue(buf: Uint8Array): Attributes {
  let key = '';
  let value: AttributeValue = null;
  for (const f of fields(buf)) {
    if (f.number === 1) key = text(f.bytes);
    if (f.number === 2) value = anyValue(f.bytes);
  }
  return { [key]: value };
}

function anyValue(buf: Uint8Array): AttributeValue {
  let value: AttributeValue = null;
  for (const f of fields(buf)) {
    if (f.number === 1) value = text(f.bytes);
    else if (f.number === 2) value = f.varint !== 0n;
    else if (f.number === 3) value = Number(BigInt.asIntN(64, f.varint));
    else if (f.number === 4) value = double(f.bytes);
    else if (f.number === 5) value = [...fields(f.bytes)].filter((g) => g.number === 1).map((g) => anyValue(g.bytes));
    else if (f.number === 6) value = attributesOf(f.bytes, 1);
    else if (f.number === 7) value = Buffer.from(f.bytes).toString('base64');
  }
  return value;
}
