import type { TestProject } from 'vitest/node';
import clerkKeys from './clerk-keys';
import databases from './global';
import postgresOutage from './postgres-outage';
import redisOutage from './redis-outage';
import upstash from './upstash';

/** A global setup file's default export: it may return (a promise of) its teardown. */
type Setup = (project: TestProject) => unknown;

/** In the order they start (the outage proxy needs the databases); undone in reverse. */
const ORDER: Setup[] = [databases, clerkKeys, postgresOutage, upstash, redisOutage];

/** What each project's tests inject, by the setups that provide it. */
const NEEDS: Record<string, Setup[]> = {
  db: [databases],
  redis: [upstash],
  contract: [],
  worker: [databases, clerkKeys, postgresOutage, upstash, redisOutage],
  corpus: [databases, clerkKeys],
  site: [],
  observability: [databases, upstash],
  e2e: [databases, upstash],
  deployed: [databases, clerkKeys, upstash],
  stack: [],
};

/**
 * The one global setup: it starts what the projects of this run need (`--project` picks them) and no
 * more, so `--project site` runs without Postgres or Redis. Not a `globalSetup` per project: a project
 * runs its global setup through its own Vite pipeline, and the workerd projects resolve Node packages
 * as a Worker would (postgres.js to its Cloudflare build). Provided to the root project, every
 * project's inject() sees the values.
 */
export default async function setup(root: TestProject) {
  const needed = new Set(
    root.vitest.projects.flatMap(({ name }) => {
      const needs = NEEDS[name];
      if (!needs) throw new Error(`tests/setup/by-project.ts: say what project "${name}" needs (NEEDS)`);
      return needs;
    }),
  );
  const teardowns: (() => unknown)[] = [];
  const teardown = async () => {
    for (const undo of teardowns.splice(0).reverse()) await undo();
  };
  try {
    for (const start of ORDER.filter((s) => needed.has(s))) {
      const undo = await start(root);
      if (typeof undo === 'function') teardowns.push(() => undo());
    }
  } catch (error) {
    // Vitest runs no teardown for a setup that threw: undo what had started.
    await teardown();
    throw error;
  }
  return teardown;
}
