import net from 'node:net';
import mongoose from 'mongoose';
import { config } from '../server/platform/config';

/**
 * The embedded FerretDB's write locks (tools/ferretdb/patches/rmw_lock.go) must be released when a
 * command panics while holding one. FerretDB recovers a panic per connection (the client sees its
 * connection closed) and goes on serving everyone else — so a lock left held would make every later
 * write of that document (or collection) wait forever, and block FerretDB's own graceful shutdown.
 *
 * A real panic of FerretDB 1.24.2 inside the locked region: a filter that repeats an operator
 * (`{a: {$gt: 0, $gt: 5}}`, which no driver sends but the wire protocol allows) makes the filter
 * code call Document.Get on a duplicated key, which panics. The commands are written by hand as
 * OP_MSG frames, since drivers cannot produce a duplicated key.
 */
const { BSON, MongoClient } = mongoose.mongo;

const onFerret = !process.env.TEST_MONGODB_URI;
const ferretIt = onFerret ? it : it.skip;

let client: mongoose.mongo.MongoClient;
let dbName: string;

beforeAll(async () => {
  dbName = config().DB_NAME;
  // Short socket timeout: a write that waits on a leaked lock fails the test instead of hanging it.
  client = await MongoClient.connect(config().MONGODB_URI as string, { socketTimeoutMS: 8000 });
});
afterAll(async () => client.close(true));

/** One OP_MSG (opcode 2013) frame with a single body section. */
function opMsg(command: Record<string, unknown>): Buffer {
  const body = Buffer.from(BSON.serialize(command));
  const head = Buffer.alloc(21);
  head.writeInt32LE(head.length + body.length, 0);
  head.writeInt32LE(1, 4); // requestID
  head.writeInt32LE(0, 8); // responseTo
  head.writeInt32LE(2013, 12);
  head.writeUInt32LE(0, 16); // flagBits
  head.writeUInt8(0, 20); // section kind 0: body
  return Buffer.concat([head, body]);
}

/** The command with its (same-length) key `from` renamed to `to` in the encoded bytes: a duplicated key. */
function withDuplicatedKey(command: Record<string, unknown>, from: string, to: string): Buffer {
  const frame = opMsg(command);
  const at = frame.indexOf(Buffer.from(`${from}\0`));
  if (at < 0 || from.length !== to.length) throw new Error(`key ${from} not found`);
  frame.write(to, at);
  return frame;
}

type RawAnswer = { reply: Record<string, unknown> } | { closed: true };

/** Sends one raw frame on a fresh connection; the reply, or that the server closed the connection. */
function sendRaw(frame: Buffer): Promise<RawAnswer> {
  const { hostname, port } = new URL(config().MONGODB_URI as string);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const parts: Buffer[] = [];
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error('no answer and connection still open'));
    });
    socket.on('data', (chunk) => {
      parts.push(chunk);
      const all = Buffer.concat(parts);
      if (all.length >= 4 && all.length >= all.readInt32LE(0)) {
        socket.destroy();
        resolve({ reply: BSON.deserialize(all.subarray(21)) });
      }
    });
    socket.on('close', () => resolve({ closed: true }));
    socket.on('error', () => resolve({ closed: true }));
    socket.write(frame);
  });
}

/** A filter whose operator appears twice once the frame is patched. */
const twiceGt = { a: { $gt: 0, $lt: 5 } };

ferretIt('an update that panics while holding a document lock releases it', async () => {
  const col = client.db(dbName).collection<{ _id: string; a: number; b?: number }>('panic_update_doc');
  await col.insertMany([
    { _id: 'p', a: 1 },
    { _id: 'q', a: 1 },
  ]);
  const frame = withDuplicatedKey(
    { update: col.collectionName, $db: dbName, updates: [{ q: { _id: 'p', ...twiceGt }, u: { $set: { b: 1 } } }] },
    '$lt',
    '$gt',
  );
  // FerretDB 1.24.2 panics on it (the connection is dropped); either way no write happened.
  expect(await sendRaw(frame)).toEqual({ closed: true });
  expect((await col.updateOne({ _id: 'p' }, { $set: { b: 2 } })).modifiedCount).toBe(1);
  expect((await col.findOneAndUpdate({ _id: 'p' }, { $inc: { b: 1 } }, { returnDocument: 'after' }))?.b).toBe(3);
  expect((await col.deleteOne({ _id: 'p' })).deletedCount).toBe(1);
  expect(await col.countDocuments({})).toBe(1);
});

ferretIt('an update with a collection-wide lock that panics releases it', async () => {
  const col = client.db(dbName).collection<{ _id: string; a: number; b?: number }>('panic_update_all');
  await col.insertMany([
    { _id: 'p', a: 1 },
    { _id: 'q', a: 2 },
  ]);
  const frame = withDuplicatedKey(
    { update: col.collectionName, $db: dbName, updates: [{ q: twiceGt, u: { $set: { b: 1 } }, multi: true }] },
    '$lt',
    '$gt',
  );
  expect(await sendRaw(frame)).toEqual({ closed: true });
  expect((await col.updateMany({}, { $set: { b: 5 } })).modifiedCount).toBe(2);
  expect((await col.updateOne({ _id: 'q' }, { $set: { b: 6 } })).modifiedCount).toBe(1);
});

ferretIt('a delete that panics while holding a lock releases it', async () => {
  const col = client.db(dbName).collection<{ _id: string; a: number; b?: number }>('panic_delete');
  await col.insertMany([
    { _id: 'p', a: 1 },
    { _id: 'q', a: 1 },
  ]);
  for (const q of [{ _id: 'p', ...twiceGt }, twiceGt]) {
    const frame = withDuplicatedKey(
      { delete: col.collectionName, $db: dbName, deletes: [{ q, limit: 1 }] },
      '$lt',
      '$gt',
    );
    expect(await sendRaw(frame)).toEqual({ closed: true });
  }
  expect((await col.updateOne({ _id: 'p' }, { $set: { b: 1 } })).modifiedCount).toBe(1);
  expect((await col.deleteMany({})).deletedCount).toBe(2);
});

ferretIt('a findAndModify that panics while holding a lock releases it', async () => {
  const col = client.db(dbName).collection<{ _id: string; a: number; b?: number }>('panic_fam');
  await col.insertOne({ _id: 'p', a: 1 });
  const frame = withDuplicatedKey(
    { findAndModify: col.collectionName, $db: dbName, query: { _id: 'p', ...twiceGt }, update: { $set: { b: 1 } } },
    '$lt',
    '$gt',
  );
  expect(await sendRaw(frame)).toEqual({ closed: true });
  expect((await col.updateOne({ _id: 'p' }, { $set: { b: 2 } })).modifiedCount).toBe(1);
});
