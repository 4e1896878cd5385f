import type { ProvidedContext } from 'vitest';
import type { TestProject } from 'vitest/node';

type Started = { provide: Partial<ProvidedContext>; stop?: () => Promise<void> };
type Entry = { started: Promise<Started>; users: number };

// Each project runs its own global setups, each in a module instance of its own: only the process is
// shared, so this is where the projects of one run find what an earlier project started.
const REGISTRY = Symbol.for('meatymusic.tests.setup.once-per-run');
const shared = globalThis as { [REGISTRY]?: Map<string, Entry> };
shared[REGISTRY] ??= new Map();
const registry = shared[REGISTRY];

/**
 * A global setup for a whole run, listed by every project that needs it: the first project to run it
 * starts `what` (a database recreated, a Redis started), the others are given the same values, and it
 * is stopped after the last of them is done. A project that does not list it starts none of it.
 */
export async function oncePerRun(project: TestProject, name: string, start: () => Promise<Started>) {
  let entry = registry.get(name);
  if (!entry) {
    entry = { started: start(), users: 0 };
    registry.set(name, entry);
  }
  entry.users++;
  const { provide, stop } = await entry.started;
  for (const [key, value] of Object.entries(provide)) {
    project.provide(key as keyof ProvidedContext, value as ProvidedContext[keyof ProvidedContext]);
  }
  const used = entry;
  return async () => {
    if (--used.users > 0) return;
    registry.delete(name);
    await stop?.();
  };
}
