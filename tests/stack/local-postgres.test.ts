import { rmSync } from 'node:fs';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalPostgres, startLocalPostgres } from '../../scripts/dev/postgres';
import { groupAlive } from '../../scripts/dev/process';
import { freshDataDir, HOST } from './support';

const dataDir = freshDataDir();
const port = 18430;
const running: LocalPostgres[] = [];

afterAll(async () => {
  for (const pg of running) await pg.process.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function query(url: string, text: string) {
  const sql = postgres(url.replace(/\/meatymusic$/, '/postgres'), { max: 1, onnotice: () => {} });
  try {
    return await sql.unsafe(text);
  } finally {
    await sql.end();
  }
}

describe('the embedded Postgres of npm run dev', () => {
  it('listens on loopback only, with a password (scram), and no pgvector', async () => {
    const pg = await startLocalPostgres({ dataDir, host: HOST, port });
    running.push(pg);
    expect(pg.version).toMatch(/^PostgreSQL \d+/);
    const [settings] = await query(
      pg.url,
      `select current_setting('listen_addresses') as listen,
      current_setting('password_encryption') as enc,
      exists (select 1 from pg_available_extensions where name = 'vector') as vector`,
    );
    expect(settings).toEqual({ listen: HOST, enc: 'scram-sha-256', vector: false });
    await expect(query(pg.url.replace(/:[^:@/]+@/, ':wrong@'), 'select 1')).rejects.toThrow(/password/);
  });

  it('ends a server left running by a run that was killed, then starts on the same data', async () => {
    // The first server is still up, as if the process that started it had been SIGKILLed.
    const orphan = running.pop()!;
    await query(orphan.url, 'create database survives_restart');
    const pg = await startLocalPostgres({ dataDir, host: HOST, port });
    running.push(pg);
    expect(groupAlive(orphan.process.pid)).toBe(false);
    expect(pg.process.pid).not.toBe(orphan.process.pid);
    const rows = await query(pg.url, `select datname from pg_database where datname = 'survives_restart'`);
    expect(rows).toHaveLength(1);
  });
});
