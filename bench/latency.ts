import { fire, type Sample, type Summary, summarise, type Target } from './lib/cannon';
import { round } from './lib/stats';

export type LatencyOptions = { connections: number; roundSeconds: number; rounds: number; warmupSeconds: number };

export type EndpointResult = Summary & {
  name: string;
  /** p50 and p99 over the floor's, from the same interleaved rounds. */
  ratio: { p50: number; p99: number } | null;
};

/**
 * Every target in turn, round after round (floor, a, b, …, floor, a, b, …), so that whatever else the
 * machine is doing weighs on all of them alike; each target's rounds are pooled. A short warm-up per
 * target first (isolate start, JIT, connection set-up) is not counted.
 */
export async function measureLatency(
  targets: Record<string, Target>,
  floor: string,
  options: LatencyOptions,
  say: (line: string) => void,
): Promise<EndpointResult[]> {
  const names = Object.keys(targets);
  const samples = new Map<string, Sample[]>(names.map((name) => [name, []]));
  for (const name of names) {
    await fire(targets[name] as Target, { connections: options.connections, seconds: options.warmupSeconds });
  }
  for (let r = 1; r <= options.rounds; r++) {
    for (const name of names) {
      const sample = await fire(targets[name] as Target, {
        connections: options.connections,
        seconds: options.roundSeconds,
      });
      samples.get(name)?.push(sample);
      say(`  round ${r}/${options.rounds} ${name}: ${sample.latencies.length} responses`);
    }
  }
  const summaries = new Map(names.map((name) => [name, summarise(samples.get(name) ?? [])]));
  const base = summaries.get(floor);
  return names.map((name) => {
    const s = summaries.get(name) as Summary;
    return {
      name,
      ...s,
      ratio: base && name !== floor ? { p50: round(s.p50 / base.p50, 2), p99: round(s.p99 / base.p99, 2) } : null,
    };
  });
}
