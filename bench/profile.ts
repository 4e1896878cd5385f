import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fire, type Target } from './lib/cannon';
import { round } from './lib/stats';

export type ProfileShare = { name: string; selfMs: number; share: number };
export type CpuProfile = {
  requests: number;
  sampledMsPerRequest: number;
  modules: ProfileShare[];
  functions: ProfileShare[];
};

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number } };
type V8Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/**
 * Where the isolate's CPU goes, from V8's sampling profiler over the DevTools protocol (workerd has no
 * --cpu-prof; Miniflare proxies its inspector). The bundle must be unminified: names survive, and
 * esbuild's `// node_modules/…` comments tell which package each line came from. Self time only,
 * grouped by package (or the repo's own folder) and by function; `(idle)` and `(program)` are workerd
 * outside JavaScript.
 */
export async function profileRequests(
  inspectorPort: number,
  bundleDir: string,
  target: Target,
  requests: number,
): Promise<CpuProfile> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on ${inspectorPort}`);
  const session = await devtools(url);
  try {
    await session.call('Profiler.enable');
    await session.call('Profiler.setSamplingInterval', { interval: 100 });
    await session.call('Profiler.start');
    const sample = await fire(target, { connections: 1, amount: requests });
    const { profile } = (await session.call('Profiler.stop')) as { profile: V8Profile };
    return summarise(profile, moduleOfLine(join(bundleDir, 'index.js')), sample.latencies.length);
  } finally {
    session.close();
  }
}

function summarise(profile: V8Profile, moduleOf: (line: number) => string, requests: number): CpuProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!frame || frame.functionName === '(idle)') return;
    total += ms;
    const module = frame.url.endsWith('index.js')
      ? moduleOf(frame.lineNumber)
      : frame.functionName.startsWith('(')
        ? frame.functionName
        : frame.url
          ? `workerd ${frame.url}`
          : 'workerd built-ins (native)';
    modules.set(module, (modules.get(module) ?? 0) + ms);
    const fn = `${frame.functionName || '(anonymous)'} [${module}]`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
  });
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, selfMs: round(ms / requests, 3), share: round(ms / total, 3) }));
  return {
    requests,
    sampledMsPerRequest: round(total / requests, 3),
    modules: top(modules, 12),
    functions: top(functions, 15),
  };
}

/** Line (0-based) of the unminified bundle -> the package or source folder esbuild took it from. */
function moduleOfLine(bundle: string) {
  const starts: { line: number; module: string }[] = [];
  readFileSync(bundle, 'utf8')
    .split('\n')
    .forEach((text, line) => {
      const m = /^\/\/ (.+\.[cm]?[jt]sx?)$/.exec(text);
      if (!m?.[1]) return;
      const path = m[1];
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
      starts.push({ line, module: pkg ?? path.split('/').slice(0, -1).join('/') ?? path });
    });
  return (line: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '(bundle preamble)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const start = starts[mid] as { line: number; module: string };
      if (start.line <= line) {
        found = start.module;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/** A minimal DevTools protocol client over the WebSocket Node ships. */
async function devtools(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  let next = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id as number);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  });
  return {
    call(method: string, params: object = {}) {
      const id = ++next;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    close: () => socket.close(),
  };
}
