import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import { routeTemplate } from '../observability/route-template';

export type MediaTypeOptions = {
  /**
   * The request body media types the operation at `method path` (OpenAPI form, `/v1/users/{id}`)
   * declares: `[]` when it takes no body, undefined when it is not a documented operation.
   */
  declared: (method: string, path: string) => readonly string[] | undefined;
};

/**
 * Every operation accepts exactly the media types its OpenAPI document lists, and nothing else is
 * read: Hono's own JSON check takes any `application/*+json`, so without this a JSON Patch or merge
 * patch sent to a route that means neither would be parsed as a plain document and written.
 */
export function mediaType({ declared }: MediaTypeOptions): MiddlewareHandler {
  return async function mediaType(c, next) {
    const route = routeTemplate(c);
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    const accepted = route ? declared(method, route.replace(/:([^/]+)/g, '{$1}')) : undefined;
    if (!accepted || !hasBody(c.req.raw)) return next();

    const contentType = c.req.header('Content-Type');
    if (accepted.length === 0) {
      throw new ApiError(415, { code: 'unsupported_media_type', message: `${method} ${route} takes no request body` });
    }
    if (!contentType || !accepted.includes(essence(contentType) ?? '')) {
      throw new ApiError(415, {
        code: 'unsupported_media_type',
        message: `Content-Type must be ${accepted.join(' or ')}`,
        details: { accepted },
      });
    }
    await next();
  };
}

function hasBody(req: Request) {
  const length = req.headers.get('Content-Length');
  return length === null ? req.headers.has('Transfer-Encoding') || req.body !== null : Number(length) > 0;
}

/** `application/json; charset=utf-8` -> `application/json`; any parameter but a UTF-8 charset refuses the type. */
function essence(contentType: string): string | null {
  const [type = '', ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const utf8Only = params.every((p) => p === '' || p === 'charset=utf-8' || p === 'charset="utf-8"');
  return utf8Only ? type : null;
}
