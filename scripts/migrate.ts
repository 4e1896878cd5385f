import { ensureDatabase, migrateDatabase } from '../db/migrate';
import { databaseName, localEnv, withDatabase } from './local-env';

const env = localEnv();
await ensureDatabase(withDatabase(env.DATABASE_URL, 'postgres'), databaseName(env.DATABASE_URL));
await migrateDatabase({ ownerUrl: env.DATABASE_URL, appPassword: env.APP_DATABASE_PASSWORD });
