import type { MiddlewareHandler } from 'hono';
import type { CorrelationVariables } from '../types';

export type CorrelationOptions = {
  /** Longest caller-supplied correlation id accepted; longer ones are replaced. */
  limitLength?: number;
  generate?: () => string;
};

// Ids end up in logs and headers: a closed alphabet keeps them from forging log lines or headers.
const SAFE_ID = /^[A-Za-z0-9._:-]+$/;

/**
 * X-Request-ID names this hop and is always ours; X-Correlation-ID follows a user action across
 * services, so a well-formed one from the caller is kept. Both are echoed on every response.
 */
export function correlation({
  limitLength = 128,
  generate = () => crypto.randomUUID(),
}: CorrelationOptions = {}): MiddlewareHandler<{ Variables: CorrelationVariables }> {
  return async function correlation(c, next) {
    const requestId = generate();
    const incoming = c.req.header('X-Correlation-ID');
    const correlationId = incoming && incoming.length <= limitLength && SAFE_ID.test(incoming) ? incoming : generate();
    c.set('requestId', requestId);
    c.set('correlationId', correlationId);
    c.header('X-Request-ID', requestId);
    c.header('X-Correlation-ID', correlationId);
    await next();
  };
}
