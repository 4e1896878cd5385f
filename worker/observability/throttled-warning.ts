import type { Logger } from './logger';

/**
 * An exporter failing on every request would add a warning to each: one line a minute instead,
 * with how many items failed since the last one (`countField`).
 */
export function throttledWarning(logger: Logger, message: string, countField: string, intervalMs = 60_000) {
  let lastAt = Number.NEGATIVE_INFINITY;
  let count = 0;
  return (error: unknown, items: number) => {
    count += items;
    const now = Date.now();
    if (now - lastAt < intervalMs) return;
    logger.warn(message, { error, [countField]: count });
    lastAt = now;
    count = 0;
  };
}
