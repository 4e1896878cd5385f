import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

/**
 * One file per service under `<dir>`, truncated when the stack starts: `npm run verify` reads the
 * API's JSON log lines from `api.log`, and a developer can tail any of them.
 */
export function logFiles(dir: string, forward: (service: string, line: string) => void) {
  mkdirSync(dir, { recursive: true });
  const streams = new Map<string, WriteStream>();
  const file = (service: string) => join(dir, `${service}.log`);
  return {
    file,
    /** A line handler for `service`: appends to its file and forwards it. */
    sink(service: string) {
      let stream = streams.get(service);
      if (!stream) {
        stream = createWriteStream(file(service), { flags: 'w' });
        streams.set(service, stream);
      }
      const out = stream;
      return (line: string) => {
        out.write(`${line}\n`);
        forward(service, line);
      };
    },
    async close() {
      await Promise.all([...streams.values()].map((s) => new Promise<void>((resolve) => s.end(resolve))));
      streams.clear();
    },
  };
}
