/**
 * What the database client traces, and under which names. postgres.js has no instrumentation of its
 * own (and drizzle's is compiled out), so db/client.ts reports its transactions and statements here.
 * The span machinery itself is the caller's (the Worker passes its OpenTelemetry tracer): db/ stays
 * free of anything above it, and a script or test that passes nothing traces nothing.
 *
 * Attributes name a statement's shape only. Parameters are never recorded, and the literals that
 * db/client.ts inlines are replaced by `?`.
 */

export type SpanAttributes = Record<string, string>;

/** Runs `fn` inside a client span named `name`; a rejection marks the span failed. */
export type SpanRunner = <T>(name: string, attributes: SpanAttributes, fn: () => Promise<T>) => Promise<T>;

export const untraced: SpanRunner = (_name, _attributes, fn) => fn();

const DB_SYSTEM = { 'db.system': 'postgresql', 'db.system.name': 'postgresql' } as const;
const MAX_STATEMENT_LENGTH = 2_000;

/** A span around one tenant-scoped transaction; the spans of its statements nest inside. */
export function transactionSpan<T>(run: SpanRunner, name: string, tenantId: string, fn: () => Promise<T>) {
  return run(name, { ...DB_SYSTEM, 'db.operation': 'TRANSACTION', 'tenant.id': tenantId }, fn);
}

/**
 * One span per statement of a flight (statements sent together in one message). They share the
 * flight's answer, so each lasts from the send to that answer: siblings of equal length, which is
 * what pipelining looks like.
 */
export function flightSpans<T>(run: SpanRunner, statements: () => readonly string[], flight: Promise<T>): Promise<T> {
  if (run === untraced) return flight;
  const spans = statements().map((text) =>
    run(`db.query ${operationOf(text)}`, statementAttributes(text), () => flight),
  );
  return Promise.all(spans).then(() => flight);
}

function operationOf(text: string): string {
  return /^\s*([a-z]+)/i.exec(text)?.[1]?.toUpperCase() ?? 'UNKNOWN';
}

function statementAttributes(text: string): SpanAttributes {
  const shape = withoutLiterals(text).replace(/\s+/g, ' ').trim();
  return {
    ...DB_SYSTEM,
    'db.operation': operationOf(text),
    'db.statement': shape.length > MAX_STATEMENT_LENGTH ? `${shape.slice(0, MAX_STATEMENT_LENGTH)}…` : shape,
  };
}

// String literals (standard, E'' with backslash escapes, dollar-quoted) and numbers not inside a name.
const LITERALS =
  /\bE'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*'|\$([A-Za-z_]\w*)?\$[\s\S]*?\$\1\$|(?<![\w$."])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi;

/** The statement with every literal value replaced by `?`: what ran, without the data it ran on. */
export function withoutLiterals(text: string): string {
  return text.replace(LITERALS, '?');
}
