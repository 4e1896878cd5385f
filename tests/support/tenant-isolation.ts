import type postgres from 'postgres';
import { quoteIdent } from '../../db/migrate';
import { type TenantTable, tenantTables } from '../../db/tenant-catalog';

/**
 * The isolation test's machinery: valid rows for every tenant table, made from the catalog, and the
 * probes one tenant makes at another's rows.
 */

type Column = { name: string; type: string; notNull: boolean; hasDefault: boolean };
type ForeignKey = { parent: string; columns: string[]; parentColumns: string[] };
type PlannedTable = TenantTable & { columns: Column[]; foreignKeys: ForeignKey[] };
type Row = Record<string, unknown>;

/** Tenant tables with their columns and foreign keys, parents before children. */
async function rowPlan(sql: postgres.Sql): Promise<PlannedTable[]> {
  const tables = await tenantTables(sql);
  const names = tables.map((t) => t.name);
  const columns = await sql<(Column & { table: string })[]>`
    select c.relname as table, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
           a.attnotnull as "notNull", (a.atthasdef or a.attidentity <> '' or a.attgenerated <> '') as "hasDefault"
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    where c.relname in ${sql(names)} and a.attnum > 0 and not a.attisdropped
    order by c.relname, a.attnum`;
  const keys = await sql<(ForeignKey & { table: string })[]>`
    select c.relname as table, p.relname as parent,
           (select json_agg(a.attname order by k.i) from unnest(f.conkey) with ordinality k(n, i)
            join pg_attribute a on a.attrelid = f.conrelid and a.attnum = k.n) as columns,
           (select json_agg(a.attname order by k.i) from unnest(f.confkey) with ordinality k(n, i)
            join pg_attribute a on a.attrelid = f.confrelid and a.attnum = k.n) as "parentColumns"
    from pg_constraint f
    join pg_class c on c.oid = f.conrelid
    join pg_class p on p.oid = f.confrelid
    where f.contype = 'f' and f.connamespace = 'public'::regnamespace and c.relname in ${sql(names)}`;
  const planned = tables.map((t) => ({
    ...t,
    columns: columns.filter((c) => c.table === t.name),
    foreignKeys: keys.filter((k) => k.table === t.name),
  }));
  const ordered: PlannedTable[] = [];
  while (ordered.length < planned.length) {
    const ready = planned.filter(
      (t) => !ordered.includes(t) && t.foreignKeys.every((k) => ordered.some((o) => o.name === k.parent)),
    );
    if (!ready.length) {
      const stuck = planned.filter((t) => !ordered.includes(t)).map((t) => t.name);
      throw new Error(`No row can be made for ${stuck.join(', ')}: a foreign key to a non-tenant table, or a cycle`);
    }
    ordered.push(...ready);
  }
  return ordered;
}

let seq = 0;

/** A value of a column type for a NOT NULL column without a default; a type not here fails by name. */
function sample(table: string, column: Column): string {
  const n = ++seq;
  if (column.type === 'uuid') return crypto.randomUUID();
  if (/^(text|character varying)\b/.test(column.type)) return `g${n}`;
  if (/^(smallint|integer|bigint|numeric)\b/.test(column.type)) return String(n);
  if (/^jsonb?$/.test(column.type)) return '{}';
  if (/^timestamp\b/.test(column.type)) return new Date().toISOString();
  throw new Error(`${table}.${column.name}: no sample value for type ${column.type} (add one to tests/support)`);
}

/** A valid row of `table` for `tenantId`: the key, foreign keys from that tenant's parent rows, samples. */
function rowFor(table: PlannedTable, tenantId: string, parents: Map<string, Row>): Row {
  const row: Row = { [table.key]: tenantId };
  for (const fk of table.foreignKeys) {
    fk.columns.forEach((column, i) => {
      row[column] = parents.get(fk.parent)?.[fk.parentColumns[i] as string];
    });
  }
  for (const column of table.columns) {
    if (!(column.name in row) && column.notNull && !column.hasDefault) row[column.name] = sample(table.name, column);
  }
  return row;
}

function insert(tx: postgres.TransactionSql, table: PlannedTable, row: Row) {
  const names = Object.keys(row);
  const types = new Map(table.columns.map((c) => [c.name, c.type]));
  const values = names.map((name, i) => `$${i + 1}::${types.get(name)}`);
  return tx.unsafe<Row[]>(
    `insert into ${quoteIdent(table.name)} (${names.map(quoteIdent).join(', ')}) values (${values.join(', ')}) returning *`,
    names.map((name) => String(row[name])),
  );
}

const scoped = (tx: postgres.TransactionSql, tenantId: string) =>
  tx`select set_config('app.current_tenant_id', ${tenantId}, true)`;

/** One row in every tenant table for a new tenant, inserted as the app role within that tenant's scope. */
async function arrangeTenant(app: postgres.Sql, plan: PlannedTable[]) {
  const tenantId = crypto.randomUUID();
  const rows = new Map<string, Row>();
  await app.begin(async (tx) => {
    await scoped(tx, tenantId);
    for (const table of plan) {
      const [row] = await insert(tx, table, rowFor(table, tenantId, rows)).catch((error: Error) => {
        throw new Error(`As its own tenant, the app role could not insert into ${table.name}: ${error.message}`);
      });
      rows.set(table.name, row as Row);
    }
  });
  return { tenantId, rows };
}

type Outcome = 'rows' | 'none' | 'refused';
type Statement = (sql: postgres.TransactionSql) => Promise<Row[]>;

/** Thrown out of a probe's savepoint, so that it is rolled back even when the statement succeeded. */
class Undone {
  constructor(readonly outcome: Outcome) {}
}

/** Runs `statement` in a savepoint that is always rolled back: probes leave nothing behind. */
function attempt(tx: postgres.TransactionSql, statement: Statement): Promise<string> {
  return tx
    .savepoint(async (sp) => {
      throw new Undone((await statement(sp)).length ? 'rows' : 'none');
    })
    .catch((error: { code?: string; message: string }) => {
      if (error instanceof Undone) return error.outcome;
      // 42501 is both "violates row-level security policy" and "permission denied": the message tells.
      return error.code === '42501' && /row-level security/.test(error.message)
        ? 'refused'
        : `error ${error.code}: ${error.message}`;
    });
}

/**
 * What tenant A can do to tenant B's rows, for every tenant table: [] when the tables isolate them.
 * Rows for both are made from the catalog (types, NOT NULL, defaults, foreign keys) by the app role
 * itself; then, as the app role in a transaction scoped to A, each table is probed. A's own rows are
 * probed too, so a table the app cannot use at all does not pass for an isolated one.
 */
export async function isolationBreaches(owner: postgres.Sql, app: postgres.Sql) {
  const plan = await rowPlan(owner);
  const a = await arrangeTenant(app, plan);
  const b = await arrangeTenant(app, plan);
  const findings: string[] = [];
  await app.begin(async (tx) => {
    await scoped(tx, a.tenantId);
    for (const table of plan) {
      const [t, k] = [quoteIdent(table.name), quoteIdent(table.key)];
      const probes: [string, Outcome, Statement][] = [
        ['A reads its own rows', 'rows', (q) => q.unsafe(`select 1 from ${t} where ${k} = $1`, [a.tenantId])],
        ["A reads B's rows", 'none', (q) => q.unsafe(`select 1 from ${t} where ${k} = $1`, [b.tenantId])],
        [
          'A updates its own rows',
          'rows',
          (q) => q.unsafe(`update ${t} set ${k} = ${k} where ${k} = $1 returning 1`, [a.tenantId]),
        ],
        [
          "A updates B's rows",
          'none',
          (q) => q.unsafe(`update ${t} set ${k} = ${k} where ${k} = $1 returning 1`, [b.tenantId]),
        ],
        [
          'A moves its rows to B',
          'refused',
          (q) => q.unsafe(`update ${t} set ${k} = $1 where ${k} = $2 returning 1`, [b.tenantId, a.tenantId]),
        ],
        [
          'A deletes its own rows',
          'rows',
          (q) => q.unsafe(`delete from ${t} where ${k} = $1 returning 1`, [a.tenantId]),
        ],
        ["A deletes B's rows", 'none', (q) => q.unsafe(`delete from ${t} where ${k} = $1 returning 1`, [b.tenantId])],
        ['A inserts a row of B', 'refused', (q) => insert(q, table, rowFor(table, b.tenantId, b.rows))],
      ];
      for (const [what, expected, statement] of probes) {
        const outcome = await attempt(tx, statement);
        if (outcome !== expected) findings.push(`${table.name}: ${what}: expected ${expected}, got ${outcome}`);
      }
    }
  });
  return { tables: plan.map((t) => t.name), findings };
}
