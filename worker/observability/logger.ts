import { redactText, SECRET_FIELD } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose every line also carries `fields` (request ids, trace ids). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  service: string;
  environment: string;
  level: LogLevel;
  /** Stack traces name files and lines of our code: useful locally, an information leak elsewhere. */
  includeStack?: boolean;
  /** Where lines go; console by default, which Workers ships to Logpush/tail. */
  write?: (level: LogLevel, line: string) => void;
}

const consoleWrite = (level: LogLevel, line: string) => {
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
};

/**
 * One JSON object per line, so log pipelines parse it without rules. Secrets are removed while
 * serialising, so a careless `{ headers }` or an error quoting a token cannot leak them.
 */
export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const { service, environment, level: min, includeStack = false, write = consoleWrite } = options;
  const replacer = sanitiser(includeStack);
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (RANK[level] < RANK[min]) return;
    const line = { timestamp: new Date().toISOString(), level, message, service, environment, ...bound, ...fields };
    write(level, JSON.stringify(line, replacer));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

function sanitiser(includeStack: boolean) {
  return function sanitise(key: string, value: unknown): unknown {
    if (key && SECRET_FIELD.test(key) && value !== null && value !== undefined) return '[redacted]';
    if (typeof value === 'string') return redactText(value);
    // Error objects stringify to {} by default; keep what helps and nothing else.
    if (value instanceof Error) {
      return { name: value.name, message: value.message, ...(includeStack ? { stack: value.stack } : {}) };
    }
    // Headers objects stringify to {}; as pairs their secret-named keys meet the rule above.
    if (value instanceof Headers) return Object.fromEntries(value);
    return value;
  };
}
