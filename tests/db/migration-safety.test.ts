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

  it('the migrate command refuses an unreviewed destructive migration before connecting', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'migrations-'));
    try {
      writeFileSync(
        join(folder, '0000_x.sql'),
        'CREATE TABLE a (id int);\n--> statement-breakpoint\nDROP TABLE users;',
      );
      // Port 9 refuses connections: had it connected first, the error would be a connection error.
      const run = migrateDatabase({ ownerUrl: 'postgres://x@127.0.0.1:9/x', appPassword: 'password1', folder });
      await expect(run).rejects.toBeInstanceOf(UnsafeMigrationError);
      await expect(run).rejects.toThrow(/0000_x\.sql:3: drop without a reviewed marker/);
    } finally {
      rmSync(folder, { recursive: true });
    }
  });
});
