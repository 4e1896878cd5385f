import { env } from 'cloudflare:workers';
import { app } from './app';
import { getSettings } from './config';

// Validate configuration when the isolate starts: a bad deploy fails at upload, not on first request.
getSettings(env);

export default app;
