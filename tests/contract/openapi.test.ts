import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../worker/app';

type Spec = { openapi: string; info: { title: string }; paths: Record<string, Record<string, unknown>> };

const env = {
  ENVIRONMENT: 'test',
  SERVICE_VERSION: '9.9.9',
  CORS_ORIGINS: '',
  HYPERDRIVE: { connectionString: 'postgres://unused@127.0.0.1:1/none' },
};

let spec: Spec;

beforeAll(async () => {
  const res = await app.request('/openapi.json', {}, env);
  expect(res.status).toBe(200);
  spec = await res.json();
});

/** Every route Hono actually serves under /v1, in OpenAPI's `{param}` form. */
function servedV1Routes() {
  return app.routes
    .filter((r) => r.path.startsWith('/v1/') && r.method !== 'ALL' && !r.path.includes('*'))
    .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(spec as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(spec.info).toMatchObject({ title: 'MeatyMusic AMCS API', version: '9.9.9' });
  });

  it('documents every /v1 route the app serves', () => {
    const documented = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    const served = servedV1Routes();
    expect(served.length).toBeGreaterThanOrEqual(6);
    expect(documented).toEqual(expect.arrayContaining(served));
  });

  it('declares bearer auth on every /v1 operation', () => {
    for (const [path, ops] of Object.entries(spec.paths)) {
      if (!path.startsWith('/v1/') || path.startsWith('/v1/webhooks/')) continue;
      for (const [method, op] of Object.entries(ops)) {
        expect((op as { security?: unknown }).security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
      }
    }
  });
});
