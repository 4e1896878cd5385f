import { z } from 'zod';

/**
 * Command bodies as `@upstash/redis` sends them: arrays of strings, numbers and booleans
 * (its serializer passes those through as JSON and stringifies everything else).
 */
const argument = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const commandSchema = z.tuple([argument], argument);
const batchSchema = z.array(commandSchema).min(1);

export type Command = z.infer<typeof commandSchema>;

/** A body the endpoint cannot run: answered 400 with this message, as the service does. */
export class BadCommand extends Error {}

export function parseCommand(body: unknown): Command {
  const parsed = commandSchema.safeParse(body);
  if (!parsed.success) throw new BadCommand('ERR expected a command: a JSON array of strings and numbers');
  return parsed.data;
}

export function parseBatch(body: unknown): Command[] {
  const parsed = batchSchema.safeParse(body);
  if (!parsed.success) throw new BadCommand('ERR expected a non-empty JSON array of commands');
  return parsed.data;
}

/**
 * Commands that would change or block the one connection every caller shares (the real service
 * refuses the connection-state and blocking ones too), or that would harm a shared local server.
 */
const REFUSED = new Set([
  'multi',
  'exec',
  'discard',
  'watch',
  'unwatch',
  'select',
  'auth',
  'hello',
  'quit',
  'reset',
  'client',
  'readonly',
  'readwrite',
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
  'monitor',
  'blpop',
  'brpop',
  'brpoplpush',
  'blmove',
  'blmpop',
  'bzpopmin',
  'bzpopmax',
  'bzmpop',
  'wait',
  'waitaof',
  'shutdown',
  'debug',
  'replicaof',
  'slaveof',
  'sync',
  'psync',
  'module',
  'config',
]);

/** An error message when the command may not run here, else null. */
export function refusal(command: Command): string | null {
  const name = command[0].toLowerCase();
  const blockingRead =
    (name === 'xread' || name === 'xreadgroup') && command.some((arg) => arg.toLowerCase() === 'block');
  return REFUSED.has(name) || blockingRead ? `ERR Command is not available: '${command[0]}'` : null;
}
