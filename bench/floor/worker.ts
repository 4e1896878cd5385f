import postgres from 'postgres';
import { isUuid } from '../../db/client';
import { openWorkersSocket } from '../../db/workers-socket';

interface FloorEnv {
  HYPERDRIVE: Hyperdrive;
}

/**
 * `GET /?user=<uuid>`: the preferences row the API's GET /v1/preferences reads, fetched the cheapest
 * way there is — a fresh connection (as every API request has) and one statement, nothing around it.
 * Same driver, options and socket layer as the API, so the difference is the API's own work.
 */
export default {
  async fetch(request, env, ctx) {
    const user = new URL(request.url).searchParams.get('user') ?? '';
    if (!isUuid(user)) return new Response('user must be a uuid', { status: 400 });
    const sql = postgres(env.HYPERDRIVE.connectionString, {
      max: 1,
      fetch_types: false,
      onnotice: () => {},
      ...({ socket: openWorkersSocket } as object),
    });
    try {
      // Inlined like the API's statements (a checked uuid): one round trip, no describe step.
      const rows = await sql.unsafe(
        `select preferences, version, updated_at from user_preferences where user_id = '${user}'`,
      );
      return Response.json(rows[0] ?? null);
    } finally {
      ctx.waitUntil(sql.end().catch(() => {}));
    }
  },
} satisfies ExportedHandler<FloorEnv>;
