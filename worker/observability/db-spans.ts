import { SpanKind } from '@opentelemetry/api';
import type postgres from 'postgres';
import { inSpan } from './spans';

/**
 * Spans for postgres.js, which has no instrumentation of its own (and drizzle's is compiled out).
 * Kept apart from db/client.ts so the client can change shape without touching tracing.
 *
 * Attributes name the statement's shape only. Parameters are never recorded, and literals in the
 * text (db/client.ts inlines some parameters to save round trips) are replaced by `?`.
 */

const DB_SYSTEM = { 'db.system': 'postgresql', 'db.system.name': 'postgresql' } as const;
const MAX_STATEMENT_LENGTH = 2_000;

/** A span around one tenant-scoped transaction; its statements' spans nest inside. */
export function tenantSpan<T>(name: string, tenantId: string, fn: () => Promise<T>): Promise<T> {
  const attributes = { ...DB_SYSTEM, 'db.operation': 'TRANSACTION', 'tenant.id': tenantId };
  return inSpan(name, { kind: SpanKind.CLIENT, attributes }, fn);
}

type Client = postgres.Sql | postgres.TransactionSql;

/**
 * The same client, with a span for every statement it runs: tagged-template queries, `unsafe`
 * (what drizzle uses), and the statements of transactions and savepoints opened from it.
 */
export function traceSql<T extends Client>(sql: T): T {
  return new Proxy(sql, {
    apply(target, thisArg, args: unknown[]) {
      const query = Reflect.apply(target, thisArg, args);
      const strings = args[0];
      // `sql(values)` and `sql(identifier)` build fragments for other queries; only templates are statements.
      return isTemplate(strings) ? traceQuery(query, strings.map((s, i) => (i ? `$${i}${s}` : s)).join('')) : query;
    },
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === 'unsafe') {
        return (text: string, ...rest: unknown[]) => traceQuery(value.call(target, text, ...rest), text);
      }
      if (prop === 'begin' || prop === 'savepoint') {
        return (...args: unknown[]) => {
          const last = args.length - 1;
          const fn = args[last];
          if (typeof fn === 'function') args[last] = (tx: Client) => fn(traceSql(tx));
          return value.apply(target, args);
        };
      }
      return value;
    },
  });
}

function isTemplate(value: unknown): value is TemplateStringsArray {
  return Array.isArray(value) && Array.isArray((value as { raw?: unknown }).raw);
}

/**
 * postgres.js queries are lazy promises, sent on the first `then` or `execute()`. The span starts
 * then and ends when the query settles. Sending stays synchronous, so statement order on the wire
 * (which db/client.ts relies on to pipeline) does not change.
 */
function traceQuery<Q extends postgres.PendingQuery<postgres.Row[]>>(query: Q, text: string): Q {
  let settled: Promise<unknown> | undefined;
  const send = () => {
    settled ??= inSpan(spanName(text), { kind: SpanKind.CLIENT, attributes: statementAttributes(text) }, () =>
      query.then((result) => result),
    );
    return settled;
  };
  const proxy: Q = new Proxy(query, {
    get(target, prop) {
      if (prop === 'then' || prop === 'catch' || prop === 'finally') {
        const promise = send();
        return promise[prop].bind(promise);
      }
      if (prop === 'execute') {
        return () => {
          send();
          return proxy;
        };
      }
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      // Builder methods (`values`, `raw`, `simple`...) return the query itself: keep handing out the proxy.
      return (...args: unknown[]) => {
        const out = value.apply(target, args);
        return out === target ? proxy : out;
      };
    },
  });
  return proxy;
}

function operationOf(text: string): string {
  return /^\s*([a-z]+)/i.exec(text)?.[1]?.toUpperCase() ?? 'UNKNOWN';
}

function spanName(text: string): string {
  return `db.query ${operationOf(text)}`;
}

function statementAttributes(text: string) {
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
