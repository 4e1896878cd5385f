import { createHash } from 'node:crypto';
import type { Command } from './commands';
import type { Reply } from './encode';

// The shebang flags open-source Redis 7 knows. Upstash adds its own (`allow-key-locking`, on every
// @upstash/ratelimit script), which Redis refuses with "Unexpected flag in script shebang".
const REDIS_FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);
const MAX_TRACKED_SCRIPTS = 1_000;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** The script with unknown shebang flags removed; other lines untouched, so error line numbers hold. */
export function withRedisFlags(script: string): string {
  if (!script.startsWith('#!')) return script;
  const end = script.indexOf('\n');
  const shebang = end === -1 ? script : script.slice(0, end);
  const [engine, ...options] = shebang.split(/\s+/).filter(Boolean);
  const kept = options.flatMap((option) => {
    if (!option.startsWith('flags=')) return [option];
    const flags = option
      .slice('flags='.length)
      .split(',')
      .filter((flag) => REDIS_FLAGS.has(flag));
    return flags.length ? [`flags=${flags.join(',')}`] : [];
  });
  const rewritten = [engine, ...kept].join(' ');
  return end === -1 ? rewritten : rewritten + script.slice(end);
}

/**
 * Clients address scripts by the SHA1 of the text they sent; Redis knows the rewritten text by
 * another SHA1. This keeps the mapping so EVALSHA and SCRIPT EXISTS/LOAD speak in the client's hashes.
 * A SHA1 never seen (or forgotten after a restart) goes through as is and earns Redis's own NOSCRIPT,
 * on which clients fall back to EVAL.
 */
export class ScriptHashes {
  readonly #redisSha = new Map<string, string>();

  /** The command to send to Redis, and how to turn its reply back into what the client expects. */
  translate(command: Command): { command: Command; reply: (reply: Reply) => Reply } {
    const [name, first, ...rest] = command;
    const verb = name.toLowerCase();
    const same = (reply: Reply) => reply;
    if (first === undefined) return { command, reply: same };
    if (verb === 'eval' || verb === 'eval_ro') return { command: [name, this.#load(first), ...rest], reply: same };
    if (verb === 'evalsha' || verb === 'evalsha_ro') {
      return { command: [name, this.#toRedis(first), ...rest], reply: same };
    }
    const sub = first.toLowerCase();
    if (verb === 'script' && sub === 'load' && rest.length === 1) {
      const [script] = rest as [string];
      const clientSha = sha1(script);
      return {
        command: [name, first, this.#load(script)],
        reply: (reply) => (reply instanceof Error ? reply : clientSha),
      };
    }
    if (verb === 'script' && sub === 'exists') {
      return { command: [name, first, ...rest.map((sha) => this.#toRedis(sha))], reply: same };
    }
    return { command, reply: same };
  }

  #load(script: string): string {
    const rewritten = withRedisFlags(script);
    if (rewritten !== script) {
      if (this.#redisSha.size >= MAX_TRACKED_SCRIPTS) this.#redisSha.clear();
      this.#redisSha.set(sha1(script), sha1(rewritten));
    }
    return rewritten;
  }

  #toRedis(sha: string): string {
    return this.#redisSha.get(sha.toLowerCase()) ?? sha;
  }
}
