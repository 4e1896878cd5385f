import { Webhook } from 'svix';

export type DeliveryOptions = {
  /** Svix's message id: the same one again is a replay of the same delivery. */
  id?: string;
  /** When Svix signed it; outside the API's tolerance (5 min) the signature is refused. */
  at?: Date;
};

/** The headers Svix sends with `body`: its message id, the time and the signature over both. */
export function svixHeaders(
  secret: string,
  body: string,
  { id = `msg_${crypto.randomUUID()}`, at = new Date() }: DeliveryOptions = {},
) {
  return {
    'Content-Type': 'application/json',
    'svix-id': id,
    'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
    'svix-signature': new Webhook(secret).sign(id, at, body),
  };
}
