import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { migrateDatabase, quoteIdent } from '../../db/migrate';
import { appUrl, localEnv, withDatabase } from '../../scripts/local-env';

declare module 'vitest' {
  export interface ProvidedContext {
    ownerDatabaseUrl: string;
    appDatabaseUrl: string;
    /** A second database for the bad-input corpus, which asserts that nothing at all changes in it. */
    corpusOwnerDatabaseUrl: string;
    corpusAppDatabaseUrl: string;
  }
}

/** Owner and app-role URLs of a test database (`suffix` names a sibling of TEST_DATABASE_NAME). */
export function testDatabase(suffix = '') {
  return databaseUrls(`${localEnv().TEST_DATABASE_NAME}${suffix}`);
}

function databaseUrls(name: string) {
  const env = localEnv();
  const ownerUrl = withDatabase(env.DATABASE_URL, name);
  return { name, ownerUrl, appUrl: appUrl(ownerUrl, env.APP_DATABASE_PASSWORD) };
}

const recreate = (suffix: string) => recreateDatabase(testDatabase(suffix).name);

/** Drops `name` on DATABASE_URL's server, creates it again and migrates it (also used by bench/ and tests/load/). */
export async function recreateDatabase(name: string) {
  const env = localEnv();
  const db = databaseUrls(name);
  const admin = postgres(withDatabase(env.DATABASE_URL, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${quoteIdent(db.name)} with (force)`);
    await admin.unsafe(`create database ${quoteIdent(db.name)}`);
  } catch (error) {
    throw new Error(`Postgres (DATABASE_URL=${env.DATABASE_URL}) is not usable: ${error}`);
  } finally {
    await admin.end();
  }
  await migrateDatabase({ ownerUrl: db.ownerUrl, appPassword: env.APP_DATABASE_PASSWORD, log: () => {} });
  return db;
}

/** Fresh, migrated databases for this run: tests never see state from an earlier one. */
export default async function setup(project: TestProject) {
  const main = await recreate('');
  const corpus = await recreate('_corpus');
  project.provide('ownerDatabaseUrl', main.ownerUrl);
  project.provide('appDatabaseUrl', main.appUrl);
  project.provide('corpusOwnerDatabaseUrl', corpus.ownerUrl);
  project.provide('corpusAppDatabaseUrl', corpus.appUrl);
}

/** Drops a database this run created on DATABASE_URL's server (sessions still on it are ended). */
export async function dropDatabase(name: string) {
  const admin = postgres(withDatabase(localEnv().DATABASE_URL, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${quoteIdent(name)} with (force)`);
  } finally {
    await admin.end();
  }
}
