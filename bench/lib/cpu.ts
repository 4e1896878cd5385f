import { readdirSync, readFileSync } from 'node:fs';

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream kernel configuration.
const TICK_MS = 10;

/** User + system CPU time of a process (all its threads), in ms, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** The first descendant of `pid` whose command name is `name` (e.g. the workerd that Miniflare spawned). */
export function findDescendant(pid: number, name: string): number | null {
  const queue = [pid];
  while (queue.length) {
    const current = queue.shift() as number;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${current}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      let children: number[] = [];
      try {
        children = readFileSync(`/proc/${current}/task/${task}/children`, 'utf8')
          .split(' ')
          .filter(Boolean)
          .map(Number);
      } catch {}
      for (const child of children) {
        try {
          if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === name) return child;
        } catch {}
        queue.push(child);
      }
    }
  }
  return null;
}
