import { except } from 'hono/combine';
import { onError, onNotFound } from './error-handler';
import { auth } from './middleware/auth';
import { bodySize } from './middleware/body-size';
import { clientLimit } from './middleware/client-limit';
import { correlation } from './middleware/correlation';
import { cors } from './middleware/cors';
import { database } from './middleware/database';
import { mediaType } from './middleware/media-type';
import { metrics } from './middleware/metrics';
import { privateResponses } from './middleware/private-responses';
import { rateLimit } from './middleware/rate-limit';
import { readAhead } from './middleware/read-ahead';
import { redis } from './middleware/redis';
import { requestLogger } from './middleware/request-logger';
import { securityHeaders } from './middleware/security-headers';
import { settings } from './middleware/settings';
import { tenant } from './middleware/tenant';
import { traceId } from './middleware/trace-id';
import { createRouter, declaredMediaTypes } from './openapi';
import { mountDocs } from './routes/docs';
import { health } from './routes/health';
import { me } from './routes/me';
import { meta } from './routes/meta';
import { preferences } from './routes/preferences';
import { tenant as tenantRoutes } from './routes/tenant';
import { usersRoutes } from './routes/users';
import { webhooks } from './routes/webhooks';

const MAX_BODY_BYTES = 16 * 1024;
const unauthenticated = '/v1/webhooks/*';

/** The request path, outermost first (docs/architecture.md). */
export const app = createRouter();

app
  .use(settings())
  .use(metrics())
  .use(securityHeaders())
  .use(cors())
  .use(traceId())
  .use(correlation())
  .use(requestLogger())
  // Everything under /v1 answers one caller: never kept by a shared cache, errors included.
  .use('/v1/*', privateResponses())
  // Cheap refusals first: per client at the edge, then media types, before any token is verified.
  .use('/v1/*', clientLimit())
  .use('/v1/*', mediaType({ declared: declaredMediaTypes(app) }))
  // Lazy: opens a connection only when a handler or the tenant lookup first needs one.
  .use(database())
  .use(redis())
  .use('/v1/*', except(unauthenticated, bodySize({ maxBytes: MAX_BODY_BYTES, what: 'Request bodies' })))
  .use('/v1/*', except(unauthenticated, auth()))
  // The cache reads the token names, sent to share the limit's round trip (reads only).
  .use('/v1/*', except(unauthenticated, readAhead()))
  // Per user and per tenant, both known from the token: a refused request never provisions or writes.
  .use('/v1/*', except(unauthenticated, rateLimit()))
  .use('/v1/*', except(unauthenticated, tenant()));

const routes = app
  .route('/', meta)
  .route('/', health)
  .route('/v1', me)
  .route('/v1', tenantRoutes)
  .route('/v1', usersRoutes)
  .route('/v1', preferences)
  .route('/v1', webhooks);

mountDocs(app);

app.onError(onError);
app.notFound(onNotFound);

/** The API's routes and their types, for the site's typed client (Hono RPC). */
export type AppType = typeof routes;
