import { describe, expect, it } from 'vitest';
import { prettyLogLine } from '../../scripts/dev/pretty-log';
import { createLogger } from '../../worker/observability/logger';

/** A line exactly as the Worker's logger writes it. */
function workerLine(message: string, fields: Record<string, unknown>, level: 'info' | 'warn' = 'info') {
  let written = '';
  createLogger({
    service: 'meatymusic-api',
    environment: 'development',
    level: 'debug',
    write: (_, l) => (written = l),
  })[level](message, fields);
  return written;
}

describe('LOG_FORMAT=pretty (the dev terminal)', () => {
  it('shows a request log line as one readable line with short ids', () => {
    const line = workerLine('request', {
      trace_id: '38b6cb6a974e26ff6ff6b6dd0e990d27',
      span_id: '126a1462ce0f04b9',
      correlation_id: '23c7d819-9ab2-4914-92a2-04fc2811cc91',
      request_id: '7cd4adcd-8e78-4ec2-852b-34aaa8635098',
      method: 'GET',
      path: '/v1/me',
      route: '/v1/me',
      status: 200,
      duration_ms: 83,
    });
    expect(prettyLogLine(line)).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}GET \/v1\/me 200 83 ms {2}trace=38b6cb6a request=7cd4adcd$/,
    );
  });

  it('keeps other fields as key=value and the level visible', () => {
    const line = workerLine('redis unavailable', { code: 'redis_down', attempts: 2 }, 'warn');
    expect(prettyLogLine(line)).toMatch(/ WARN {2}redis unavailable {2}code=redis_down attempts=2$/);
  });

  it('leaves lines that are not the Worker JSON untouched', () => {
    for (const line of ['[wrangler:info] Ready on http://127.0.0.1:8787', '{"not":"a log line"}', '42']) {
      expect(prettyLogLine(line)).toBe(line);
    }
  });
});
