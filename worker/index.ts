import { env } from 'cloudflare:workers';
import { app } from './app';
import { getSettings } from './config';
import { withTracing } from './observability/tracing';

// Validate configuration when the isolate starts: a bad deploy fails at upload, not on first request.
const settings = getSettings(env);

// A handler object of its own: instrument() replaces `fetch` on what it is given, and `app` must stay as it is.
export default withTracing({ fetch: app.fetch }, settings);
