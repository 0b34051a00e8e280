import { mongo } from 'mongoose';
import { pct } from './settings';

/**
 * Where the time went, from the app's own records: change → delivery queued (the 'events' follower:
 * note read, events derived and stored, deliveries queued: the delivery's createdAt against the
 * event's time) and queued → delivered (the sender: its deliveredAt).
 */
export interface Stages {
  queuedP50: number;
  queuedP95: number;
  sentP50: number;
  sentP95: number;
}

export async function stagesOf(uri: string, dbName: string): Promise<Stages> {
  const client = await mongo.MongoClient.connect(uri);
  try {
    const rows = await client
      .db(dbName)
      .collection('webhook_deliveries')
      .find({}, { projection: { eventAt: 1, createdAt: 1, deliveredAt: 1 } })
      .toArray();
    const queued = rows.map((r) => (r.createdAt as Date).getTime() - (r.eventAt as Date).getTime());
    const sent = rows
      .filter((r) => r.deliveredAt)
      .map((r) => (r.deliveredAt as Date).getTime() - (r.createdAt as Date).getTime());
    return { queuedP50: pct(queued, 50), queuedP95: pct(queued, 95), sentP50: pct(sent, 50), sentP95: pct(sent, 95) };
  } finally {
    await client.close();
  }
}
