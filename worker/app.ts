import { bodyLimit } from 'hono/body-limit';
import { except } from 'hono/combine';
import { onError, onNotFound } from './error-handler';
import { ApiError } from './errors';
import { auth } from './middleware/auth';
import { correlation } from './middleware/correlation';
import { cors } from './middleware/cors';
import { database } from './middleware/database';
import { metrics } from './middleware/metrics';
import { rateLimit } from './middleware/rate-limit';
import { redis } from './middleware/redis';
import { requestLogger } from './middleware/request-logger';
import { securityHeaders } from './middleware/security-headers';
import { settings } from './middleware/settings';
import { tenant } from './middleware/tenant';
import { traceId } from './middleware/trace-id';
import { createRouter } from './openapi';
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

/** The request path, outermost first (DESIGN.md §3). */
export const app = createRouter();

app
  .use(settings())
  .use(metrics())
  .use(securityHeaders())
  .use(cors())
  .use(traceId())
  .use(correlation())
  .use(requestLogger())
  // Lazy: opens a connection only when a handler or the tenant lookup first needs one.
  .use(database())
  .use(redis())
  .use(
    '/v1/*',
    except(
      unauthenticated,
      bodyLimit({
        maxSize: MAX_BODY_BYTES,
        onError: () => {
          throw new ApiError(413, 'payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes`);
        },
      }),
    ),
  )
  .use('/v1/*', except(unauthenticated, auth()))
  .use('/v1/*', except(unauthenticated, tenant()))
  .use('/v1/*', except(unauthenticated, rateLimit()));

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
