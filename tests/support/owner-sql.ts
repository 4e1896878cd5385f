import postgres from 'postgres';
import { inject } from 'vitest';
import { openWorkersSocket } from '../../db/workers-socket';

/** The schema owner from inside workerd: for asserting what really landed in Postgres. */
export function ownerSqlInWorker() {
  return postgres(inject('ownerDatabaseUrl'), {
    max: 1,
    fetch_types: false,
    onnotice: () => {},
    socket: openWorkersSocket,
  } as postgres.Options<Record<string, never>>);
}
