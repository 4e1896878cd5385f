import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../db/migrate';
import { checkMigrationSql, checkMigrationsFolder, UnsafeMigrationError } from '../../db/migration-safety';

const kindsOf = (sql: string) => checkMigrationSql('m.sql', sql).flatMap((f) => f.kinds);

describe('migration safety check', () => {
  it("passes the repository's migrations", () => {
    expect(checkMigrationsFolder(MIGRATIONS_FOLDER)).toEqual([]);
  });

  it.each([
    ['DROP TABLE "songs";', 'drop'],
    ['drop index concurrently if exists songs_title_idx;', 'drop'],
    ['ALTER TABLE "users" DROP COLUMN "email";', 'drop'],
    ['ALTER TABLE users ALTER COLUMN role DROP DEFAULT;', 'drop'],
    ['TRUNCATE user_preferences;', 'truncate'],
    ['ALTER TABLE "users" ALTER COLUMN "role" SET DATA TYPE varchar(20);', 'type-change'],
    ['alter table users alter column role type text using role::text;', 'type-change'],
    ['ALTER TABLE "users" RENAME COLUMN "email" TO "mail";', 'rename'],
    ['ALTER TABLE songs RENAME TO tracks;', 'rename'],
    ['ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL;', 'not-null'],
    ['ALTER TABLE "users" ADD COLUMN "locale" text NOT NULL;', 'not-null'],
    ['ALTER TABLE users ADD locale text NOT NULL, ADD tz text;', 'not-null'],
    ["DO $$ BEGIN EXECUTE 'x'; DROP TABLE old_songs; END $$;", 'drop'],
  ])('refuses %s (%s)', (sql, kind) => {
    expect(kindsOf(sql)).toEqual([kind]);
  });

  it.each([
    'CREATE TABLE "songs" ("id" uuid PRIMARY KEY NOT NULL, "title" text NOT NULL);',
    'ALTER TABLE "users" ADD COLUMN "locale" text DEFAULT \'en\' NOT NULL;',
    'ALTER TABLE "users" ADD COLUMN "nickname" text;',
    'ALTER TABLE "users" ALTER COLUMN "email" DROP NOT NULL;',
    'ALTER TABLE "users" ADD CONSTRAINT "users_email_check" CHECK (email IS NOT NULL) NOT VALID;',
    'CREATE INDEX CONCURRENTLY songs_title_idx ON songs (title);',
    "COMMENT ON TABLE songs IS 'drop table songs; rename later';",
    '-- we will DROP TABLE songs in a later release\nCREATE TABLE songs (id uuid);',
  ])('allows %s', (sql) => {
    expect(kindsOf(sql)).toEqual([]);
  });

  it('a reviewed marker above the statement allows exactly the kinds it names, with a reason', () => {
    const marked =
      '-- safety: reviewed drop: contract step; no release reads "email" since 0004\nALTER TABLE users DROP COLUMN email;';
    expect(kindsOf(marked)).toEqual([]);
    const wrongKind = '-- safety: reviewed rename: wrong kind\nALTER TABLE users DROP COLUMN email;';
    expect(kindsOf(wrongKind)).toEqual(['drop']);
    const noReason = '-- safety: reviewed drop:\nALTER TABLE users DROP COLUMN email;';
    expect(kindsOf(noReason)).toEqual(['drop']);
    const two = '-- safety: reviewed drop, rename: both reviewed\nALTER TABLE a RENAME TO b;\nDROP TABLE c;';
    expect(kindsOf(two)).toEqual(['drop']);
  });

  it('points at the file and line of each statement', () => {
    const sql = 'CREATE TABLE a (id int);\n--> statement-breakpoint\n\nDROP TABLE b;';
    expect(checkMigrationSql('0009_x.sql', sql)).toEqual([
      { file: '0009_x.sql', line: 4, kinds: ['drop'], statement: 'DROP TABLE b' },
    ]);
  });

  it.each([
    ['an unreviewed destructive migration', 'DROP TABLE users;', /0000_x\.sql:3: drop without a reviewed marker/],
    [
      'a vector column outside its guard',
      'ALTER TABLE a ADD COLUMN e vector(3);',
      /0000_x\.sql:3: pgvector without its guard \(wrap it in DO \$\$ BEGIN IF EXISTS \(SELECT 1 FROM pg_extension/,
    ],
  ])('the migrate command refuses %s before connecting', async (_, statement, message) => {
    const folder = mkdtempSync(join(tmpdir(), 'migrations-'));
    try {
      writeFileSync(join(folder, '0000_x.sql'), `CREATE TABLE a (id int);\n--> statement-breakpoint\n${statement}`);
      // Port 9 refuses connections: had it connected first, the error would be a connection error.
      const run = migrateDatabase({ ownerUrl: 'postgres://x@127.0.0.1:9/x', appPassword: 'password1', folder });
      await expect(run).rejects.toBeInstanceOf(UnsafeMigrationError);
      await expect(run).rejects.toThrow(message);
    } finally {
      rmSync(folder, { recursive: true });
    }
  });
});

describe('pgvector in migrations: only behind the guard that skips it where the extension is absent', () => {
  const guarded = (body: string, condition = "pg_extension WHERE extname = 'vector'") =>
    `DO $$\nBEGIN\n  IF EXISTS (SELECT 1 FROM ${condition}) THEN\n    ${body}\n  END IF;\nEND\n$$;`;

  it.each([
    'CREATE EXTENSION IF NOT EXISTS vector;',
    'CREATE TABLE "songs" ("id" uuid PRIMARY KEY NOT NULL, "embedding" vector(1536));',
    'ALTER TABLE songs ADD COLUMN embedding halfvec(3);',
    'CREATE INDEX songs_embedding_idx ON songs USING hnsw (embedding vector_cosine_ops);',
    'CREATE INDEX ON songs USING ivfflat (embedding) WITH (lists = 100);',
    // A marker vouches for destructive kinds only; the guard is the way to make this safe.
    '-- safety: reviewed pgvector: every server we use has it\nALTER TABLE songs ADD COLUMN e vector(3);',
    // Guarded on the extension being available, not installed: a database migrated without it, on a
    // server that has it now, would fail here.
    guarded('ALTER TABLE songs ADD COLUMN e vector(3);', "pg_available_extensions WHERE name = 'vector'"),
    // Creating it once it is installed never happens; where it is only available, that guard never passes.
    guarded('CREATE EXTENSION vector;'),
    // The use is after the IF, not inside it.
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN NULL; END IF; ALTER TABLE songs ADD COLUMN e vector(3); END $$;",
  ])('refuses %s', (sql) => {
    expect(kindsOf(sql)).toEqual(['pgvector']);
  });

  it.each([
    guarded(
      'ALTER TABLE "songs" ADD COLUMN "embedding" vector(1536);\n    CREATE INDEX ON "songs" USING hnsw ("embedding" vector_cosine_ops);',
    ),
    "do $tag$ begin\n  -- the column and its index\n  if exists (select 1 from pg_extension where extname='vector') then alter table songs add column e vector(3); end if;\nend; $tag$;",
    guarded('CREATE EXTENSION IF NOT EXISTS vector;', "pg_available_extensions WHERE name = 'vector'"),
    'ALTER TABLE "songs" ADD COLUMN "vector" text;',
    'CREATE TABLE song_vectors (id uuid, vector_count int);',
    "COMMENT ON TABLE songs IS 'vector search comes later';",
  ])('allows %s', (sql) => {
    expect(kindsOf(sql)).toEqual([]);
  });
});
