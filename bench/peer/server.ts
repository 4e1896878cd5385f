import { z } from 'zod';
import { createPeerApp } from './app';
import { serveFetch } from './node-http';

/** `node --import tsx bench/peer/server.ts`: the pooled Node peer the bench compares the Worker with. */
const env = z
  .object({
    PEER_PORT: z.coerce.number().int().min(1).max(65_535),
    PEER_DATABASE_URL: z.string().url(),
    PEER_REDIS_URL: z.string().url(),
    PEER_JWT_KEY: z.string().min(1),
    PEER_AUTHORIZED_PARTIES: z.string().min(1),
  })
  .parse(process.env);

const peer = await createPeerApp({
  databaseUrl: env.PEER_DATABASE_URL,
  redisUrl: env.PEER_REDIS_URL,
  jwtPublicPem: env.PEER_JWT_KEY,
  authorizedParties: env.PEER_AUTHORIZED_PARTIES.split(','),
});
const server = serveFetch(peer.app.fetch, { host: '127.0.0.1', port: env.PEER_PORT });
console.log(`peer listening on 127.0.0.1:${env.PEER_PORT}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close();
    void peer.close().finally(() => process.exit(0));
  });
}
