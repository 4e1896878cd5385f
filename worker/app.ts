import { Hono } from 'hono';
import { onError, onNotFound } from './error-handler';
import { correlation } from './middleware/correlation';
import { cors } from './middleware/cors';
import { database } from './middleware/database';
import { requestLogger } from './middleware/request-logger';
import { settings } from './middleware/settings';
import { health } from './routes/health';
import { meta } from './routes/meta';
import type { AppEnv } from './types';

/** The request path, outermost first (docs: DESIGN.md §3). */
export const app = new Hono<AppEnv>()
  .use(settings())
  .use(cors())
  .use(correlation())
  .use(requestLogger())
  .use(database())
  .route('/', meta)
  .route('/', health);

app.onError(onError);
app.notFound(onNotFound);

export type AppType = typeof app;
