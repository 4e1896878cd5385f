import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { migrateDatabase, quoteIdent } from '../../db/migrate';
import { appUrl, databaseName, localEnv, withDatabase } from '../../scripts/local-env';

declare module 'vitest' {
  export interface ProvidedContext {
    ownerDatabaseUrl: string;
    appDatabaseUrl: string;
  }
}

/** A fresh, migrated database for this run: tests never see state from an earlier one. */
export default async function setup(project: TestProject) {
  const env = localEnv();
  const name = env.TEST_DATABASE_NAME;
  const admin = postgres(withDatabase(env.DATABASE_URL, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${quoteIdent(name)} with (force)`);
    await admin.unsafe(`create database ${quoteIdent(name)}`);
  } catch (error) {
    throw new Error(`Postgres at ${databaseName(env.DATABASE_URL)} (DATABASE_URL) is not usable: ${error}`);
  } finally {
    await admin.end();
  }
  const ownerDatabaseUrl = withDatabase(env.DATABASE_URL, name);
  await migrateDatabase({ ownerUrl: ownerDatabaseUrl, appPassword: env.APP_DATABASE_PASSWORD, log: () => {} });
  project.provide('ownerDatabaseUrl', ownerDatabaseUrl);
  project.provide('appDatabaseUrl', appUrl(ownerDatabaseUrl, env.APP_DATABASE_PASSWORD));
}
