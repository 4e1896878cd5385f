import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../errors';

export type BodySizeOptions = {
  maxBytes: number;
  /** What the limit is about, as the 413's message names it ("Request bodies", "Webhook bodies"). */
  what: string;
};

/** Hono's body limit, refusing with our 413 envelope instead of its plain-text answer. */
export function bodySize({ maxBytes, what }: BodySizeOptions) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(413, { code: 'payload_too_large', message: `${what} are limited to ${maxBytes} bytes` });
    },
  });
}
