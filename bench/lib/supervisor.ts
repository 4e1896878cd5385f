type Cleanup = { name: string; run: () => Promise<unknown> };

export interface Supervisor {
  /** Registers something to undo; undone last-registered-first. */
  defer(name: string, run: () => Promise<unknown>): void;
  /** Undoes everything registered so far (once); failures are reported, not thrown. */
  stopAll(): Promise<void>;
  /** Runs `main`, then stops everything, whether it returned, threw, or the user pressed Ctrl-C. */
  run(main: () => Promise<void>): Promise<void>;
}

/**
 * Owns what a bench or load run starts (databases, Redis, wrangler dev, astro preview, Chromium) so that
 * nothing outlives the run: on success, on an error, and on SIGINT/SIGTERM/SIGHUP.
 */
export function createSupervisor(say: (line: string) => void = (line) => console.error(line)): Supervisor {
  const cleanups: Cleanup[] = [];
  let stopping: Promise<void> | undefined;

  const stopAll = () => {
    stopping ??= (async () => {
      for (const cleanup of cleanups.splice(0).reverse()) {
        await cleanup
          .run()
          .catch((error) => say(`stop ${cleanup.name}: ${error instanceof Error ? error.message : error}`));
      }
    })();
    return stopping;
  };

  return {
    defer(name, run) {
      cleanups.push({ name, run });
    },
    stopAll,
    async run(main) {
      const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
      const onSignal = (signal: NodeJS.Signals) => {
        say(`${signal}: stopping everything this run started`);
        void stopAll().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)));
      };
      for (const signal of signals) process.on(signal, onSignal);
      try {
        await main();
      } finally {
        await stopAll();
        for (const signal of signals) process.off(signal, onSignal);
      }
    },
  };
}
