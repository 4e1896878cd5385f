/** Rejects with a TimeoutError when `promise` has not settled within `ms`; the timer never outlives it. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/**
 * A time budget ran out: ours (withTimeout) or the platform's: AbortSignal.timeout() aborts a fetch
 * with a DOMException named TimeoutError (AbortError where the runtime does not say why it aborted).
 */
export function isTimeout(error: unknown): boolean {
  return (
    error instanceof TimeoutError ||
    (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError'))
  );
}
