import { BoundedCache } from '../platform/cache';
import { WebhookEvent } from './model';

/**
 * Event bodies, kept briefly: a body never changes once stored, the same event goes to several
 * endpoints at once, and the process that publishes an event usually sends it a moment later — so
 * the publisher leaves the body here and the sender seldom reads it back. Concurrent reads of one
 * missing body share a single query.
 */
export interface EventBody {
  _id: string;
  body: string;
}

const bodies = new BoundedCache<string, EventBody>({ limit: 5000, ttlMs: 60_000 });
const reading = new Map<string, Promise<EventBody | null>>();

export function rememberEventBody(e: EventBody): void {
  bodies.set(e._id, { _id: e._id, body: e.body });
}

export async function eventBody(id: string): Promise<EventBody | null> {
  const hit = bodies.get(id);
  if (hit) return hit;
  let read = reading.get(id);
  if (!read) {
    read = WebhookEvent.findById(id, { body: 1 })
      .lean()
      .then((e) => {
        if (!e) return null;
        const found = { _id: e._id, body: e.body };
        bodies.set(id, found);
        return found;
      })
      .finally(() => reading.delete(id));
    reading.set(id, read);
  }
  return read;
}
