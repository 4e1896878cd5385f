import { randomUUID } from 'node:crypto';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  APP_ROLE,
  ensureDatabase,
  MIGRATIONS_FOLDER,
  type MigrationConnection,
  migrateDatabase,
  migrateWith,
  type VectorPolicy,
  VectorUnavailableError,
} from '../../db/migrate';
import { localEnv, withDatabase } from '../../scripts/local-env';
import { dropDatabase } from '../setup/global';

/**
 * The vector path on a real engine that has pgvector (PGlite ships it) and on ones that do not (PGlite
 * without it, and this machine's Postgres), through db/migrate.ts and the repository's migrations, with
 * tests/db/fixtures/test_embeddings.sql appended as the next migration.
 */
type Journal = { entries: { idx: number; when: number; tag: string }[] };

const appPassword = localEnv().APP_DATABASE_PASSWORD;
const journalOf = (folder: string): Journal => JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8'));
const repositoryMigrations = journalOf(MIGRATIONS_FOLDER).entries.length;
/** What a first run reports: the repository's migrations and the fixture, all applied by it. */
const allApplied = { now: repositoryMigrations + 1, total: repositoryMigrations + 1 };
const folder = mkdtempSync(join(tmpdir(), 'migrations-vector-'));
const pgliteDirs: string[] = [];

beforeAll(() => {
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journal = journalOf(folder);
  const last = journal.entries.at(-1);
  if (!last) throw new Error('migrations/meta/_journal.json lists no migration');
  journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1, tag: '9999_test_embeddings' });
  writeFileSync(join(folder, 'meta/_journal.json'), JSON.stringify(journal));
  copyFileSync(new URL('./fixtures/test_embeddings.sql', import.meta.url), join(folder, '9999_test_embeddings.sql'));
});

afterAll(() => {
  for (const dir of [folder, ...pgliteDirs]) rmSync(dir, { recursive: true, force: true });
});

async function rows<T extends object>(pg: PGlite, sql: string): Promise<T[]> {
  return (await pg.query<T>(sql)).rows;
}

/** PGlite as the migrator's connection. The test goes on using the instance, and closes it itself. */
function pgliteConnection(pg: PGlite): MigrationConnection {
  return {
    query: (sql) => rows(pg, sql),
    migrate: (migrationsFolder) => migrate(drizzle(pg), { migrationsFolder }),
    close: async () => {},
  };
}

const migratePglite = (pg: PGlite, vector: VectorPolicy) =>
  migrateWith(() => pgliteConnection(pg), { appPassword, folder, vector, log: () => {} });

/** What the migrations left: the extension, the fixture's table and its guarded column. */
async function vectorState(query: <T extends object>(sql: string) => Promise<T[]>) {
  const [state] = await query<{ extension: boolean; table: boolean; column: string | null }>(`
    select exists (select 1 from pg_extension where extname = 'vector') as extension,
           to_regclass('public.test_embeddings') is not null as table,
           (select format_type(atttypid, atttypmod) from pg_attribute
            where attrelid = to_regclass('public.test_embeddings') and attname = 'embedding') as column`);
  return state;
}

// PGlite boots a WebAssembly Postgres in ~3 s on an idle core, more under a full test run.
const PGLITE_TIMEOUT = 120_000;

describe('with pgvector (PGlite and @electric-sql/pglite/vector)', { timeout: PGLITE_TIMEOUT }, () => {
  let pg: PGlite;
  let summary: Awaited<ReturnType<typeof migratePglite>>;

  beforeAll(async () => {
    pg = await PGlite.create({ extensions: { vector } });
    summary = await migratePglite(pg, 'required');
  }, PGLITE_TIMEOUT);

  afterAll(() => pg?.close());

  it("the repository's migrations create the extension, and the guarded column is there", async () => {
    expect(summary).toEqual(allApplied);
    expect(await vectorState((sql) => rows(pg, sql))).toEqual({ extension: true, table: true, column: 'vector(3)' });
  });

  it("a similarity search as the app role returns the scoped tenant's rows only, nearest first", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    /** The statements in one transaction scoped to the tenant, as withTenant runs them; the last one's rows. */
    const asTenant = <T extends object>(tenant: string, ...statements: string[]) =>
      pg.transaction(async (tx) => {
        await tx.query(`select set_config('app.current_tenant_id', $1, true)`, [tenant]);
        let result: T[] = [];
        for (const sql of statements) result = (await tx.query<T>(sql)).rows;
        return result;
      });
    const seed = async (tenant: string, embeddings: Record<string, number[]>) => {
      await asTenant(tenant, `insert into tenants (id, name, slug) values ('${tenant}', 'T', 't-${tenant}')`);
      const values = Object.entries(embeddings).map(([label, e]) => `('${tenant}', '${label}', '[${e}]')`);
      await asTenant(tenant, `insert into test_embeddings (tenant_id, label, embedding) values ${values.join(', ')}`);
    };
    const labels = async (tenant: string, ...statements: string[]) =>
      (await asTenant<{ label: string }>(tenant, ...statements)).map((r) => r.label);

    await pg.exec(`set role ${APP_ROLE}`);
    try {
      // PGlite's one user is a superuser, whom RLS never binds: from here on it is the app role, which
      // the migrations made neither superuser, nor owner, nor able to bypass RLS; and RLS is forced.
      const [role] = await rows(
        pg,
        `select current_user as name, r.rolsuper, r.rolbypassrls, c.relforcerowsecurity as forced,
                pg_get_userbyid(c.relowner) = current_user as owner
         from pg_roles r, pg_class c where r.rolname = current_user and c.oid = 'test_embeddings'::regclass`,
      );
      expect(role).toEqual({ name: APP_ROLE, rolsuper: false, rolbypassrls: false, forced: true, owner: false });

      // Toward [1,0,0]: by cosine, a-long points exactly that way; by distance, it is the farthest.
      await seed(a, { 'a-long': [3, 0, 0], 'a-near': [1, 0.1, 0], 'a-mid': [1, 1, 0], 'a-far': [0, 0, 1] });
      await seed(b, { 'b-exact': [1, 0, 0], 'b-near': [0.9, 0.1, 0] });

      const cosine = `select label from test_embeddings order by embedding <=> '[1,0,0]'`;
      expect(await labels(a, cosine)).toEqual(['a-long', 'a-near', 'a-mid', 'a-far']);
      expect(await labels(b, cosine)).toEqual(['b-exact', 'b-near']);
      const l2 = `select label from test_embeddings order by embedding <-> '[1,0,0]'`;
      expect(await labels(a, l2)).toEqual(['a-near', 'a-mid', 'a-far', 'a-long']);
      expect(await labels(a, `select label from test_embeddings where tenant_id = '${b}'`)).toEqual([]);
      expect(await rows(pg, cosine)).toEqual([]);

      // Through the HNSW index, as a large table would be searched: the policy still filters its candidates.
      const noSeqScan = 'set local enable_seqscan = off';
      const plan = await asTenant<{ 'QUERY PLAN': string }>(a, noSeqScan, `explain (costs off) ${cosine} limit 3`);
      expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan using test_embeddings_embedding_idx/);
      expect(await labels(a, noSeqScan, `${cosine} limit 3`)).toEqual(['a-long', 'a-near', 'a-mid']);
    } finally {
      await pg.exec('reset role');
    }
  });
});

describe('without pgvector (PGlite without the extension, on disk)', { timeout: PGLITE_TIMEOUT }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pglite-'));
  pgliteDirs.push(dir);
  let pg: PGlite;

  afterAll(() => pg?.close());

  it('required refuses the server before applying anything, naming pgvector and where to get it', async () => {
    pg = await PGlite.create(dir);
    const run = migratePglite(pg, 'required');
    await expect(run).rejects.toBeInstanceOf(VectorUnavailableError);
    await expect(run).rejects.toThrow(/this server does not have it .*docker compose up -d postgres/);
    expect(await rows(pg, `select to_regclass('drizzle.__drizzle_migrations') as drizzle`)).toEqual([
      { drizzle: null },
    ]);
  });

  it('optional migrates, without the extension and the guarded column', async () => {
    expect(await migratePglite(pg, 'optional')).toEqual(allApplied);
    expect(await vectorState((sql) => rows(pg, sql))).toEqual({ extension: false, table: true, column: null });
  });

  it('once the server has pgvector, required refuses the database migrated without it', async () => {
    await pg.close();
    pg = await PGlite.create(dir, { extensions: { vector } });
    expect(await rows(pg, `select name from pg_available_extensions where name = 'vector'`)).toHaveLength(1);
    await expect(migratePglite(pg, 'required')).rejects.toThrow(/this database was migrated without it/);
  });
});

// Whichever this server is: this machine's and the embedded dev Postgres have no pgvector, CI's has it.
const serverUrl = inject('ownerDatabaseUrl');
const serverHasVector = await (async () => {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {}, fetch_types: false });
  try {
    const [row] = await sql<{ available: boolean }[]>`
      select exists (select 1 from pg_available_extensions where name = 'vector') as available`;
    return row?.available ?? false;
  } finally {
    await sql.end();
  }
})();

describe('on this server (DATABASE_URL)', () => {
  const name = `meatymusic_vector_${process.pid}`;
  const url = withDatabase(serverUrl, name);
  const lines: string[] = [];
  const migrateServer = (vector: VectorPolicy) =>
    migrateDatabase({ ownerUrl: url, appPassword, folder, vector, log: (line) => lines.push(line) });
  const query = async <T extends object>(statement: string) => {
    const sql = postgres(url, { max: 1, onnotice: () => {}, fetch_types: false });
    try {
      return await sql.unsafe<T[]>(statement);
    } finally {
      await sql.end();
    }
  };

  beforeAll(async () => {
    await dropDatabase(name);
    await ensureDatabase(withDatabase(serverUrl, 'postgres'), name);
  });

  afterAll(() => dropDatabase(name));

  it.runIf(!serverHasVector)('lacking pgvector: required refuses it before applying anything', async () => {
    await expect(migrateServer('required')).rejects.toThrow(/pgvector is required and this server does not have it/);
    expect(await query(`select to_regclass('drizzle.__drizzle_migrations') as drizzle`)).toEqual([{ drizzle: null }]);
  });

  it.runIf(!serverHasVector)(
    'lacking pgvector: optional migrates, skipping the guarded column, and says so',
    async () => {
      expect(await migrateServer('optional')).toEqual(allApplied);
      expect(await vectorState(query)).toEqual({ extension: false, table: true, column: null });
      expect(lines).toContainEqual(
        expect.stringMatching(/^postgres WARNING: pgvector is not installed on this server/),
      );
    },
  );

  it.runIf(serverHasVector)('with pgvector: required migrates it, the guarded column included', async () => {
    await migrateServer('required');
    expect(await vectorState(query)).toEqual({ extension: true, table: true, column: 'vector(3)' });
  });
});
