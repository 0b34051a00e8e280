import { Readable } from 'node:stream';
import type { mongo } from 'mongoose';
import { isDuplicateKey } from '../platform/db/duplicate-key';
import { ConflictError, PayloadTooLargeError } from '../platform/errors';
import { UploadPiece } from './model';

/**
 * The bytes of a resumable upload, stored as pieces of at most PIECE_BYTES, each a document under
 * `<session>:<offset>`. The pieces form a chain from offset 0: a piece's end is the next one's
 * `_id`. What is stored is therefore found by following the chain from any boundary known to be in
 * it (the session's offset hint) with reads by exact `_id`, and a piece can only be added where the
 * chain ends — an insert at an offset another writer took first is refused by the unique `_id`.
 */
export const PIECE_BYTES = 256 * 1024;

const pieceId = (sessionId: string, offset: number) => `${sessionId}:${offset}`;

interface StoredPiece {
  _id: string;
  data: mongo.Binary | Buffer;
  size: number;
}

function bytesOf(data: mongo.Binary | Buffer): Buffer {
  if (Buffer.isBuffer(data)) return data;
  const raw = data.buffer;
  return Buffer.from(raw.buffer, raw.byteOffset, data.position);
}

const pieces = () => UploadPiece.collection;

async function pieceSize(sessionId: string, offset: number): Promise<number | null> {
  const p = await pieces().findOne({ _id: pieceId(sessionId, offset) as never }, { projection: { size: 1 } });
  return p ? (p as unknown as StoredPiece).size : null;
}

/** How many bytes are stored: the chain followed from `hint` (a boundary in it, 0 at worst). */
export async function storedBytes(sessionId: string, hint: number): Promise<number> {
  let at = hint;
  for (let size = await pieceSize(sessionId, at); size !== null; size = await pieceSize(sessionId, at)) at += size;
  return at;
}

/** Adds the piece at the chain's end; a piece already there (another writer's) is a conflict. */
async function addPiece(sessionId: string, offset: number, data: Buffer): Promise<void> {
  try {
    await pieces().insertOne({ _id: pieceId(sessionId, offset), data, size: data.length } as never);
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    throw new ConflictError(
      'Another request stored these bytes first; ask for the offset and resume',
      'offset_mismatch',
      [{ field: 'offset', message: 'bytes at this offset were stored by another request' }],
    );
  }
}

export interface AppendOptions {
  sessionId: string;
  /** Where the chain ends now (checked by the caller). */
  start: number;
  /** The declared size: no byte beyond it is stored. */
  size: number;
  /** Checks the file's first bytes (at offset 0) before anything is stored; throws to refuse. */
  checkHead: (head: Buffer) => void;
  /** Called after each piece with the new end (to move the session's hint). */
  advanced: (end: number) => Promise<void>;
}

/** The request was cut off (the client went away): what arrived is kept, and the upload resumes from it. */
const isCutOff = (e: unknown) =>
  typeof e === 'object' &&
  e !== null &&
  ['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE'].includes(String((e as { code?: unknown }).code));

/**
 * Stores a request's bytes at the chain's end, piece by piece as they arrive (never more than one
 * piece held). When the request is cut off, the bytes that did arrive are stored too, so a client
 * that resumes from the offset it is told loses nothing it sent. Returns the new end.
 */
export async function appendPieces(body: AsyncIterable<Buffer>, o: AppendOptions): Promise<number> {
  let at = o.start;
  let held: Buffer[] = [];
  let heldBytes = 0;
  const store = async (data: Buffer) => {
    if (at === 0) o.checkHead(data);
    await addPiece(o.sessionId, at, data);
    at += data.length;
    await o.advanced(at);
  };
  try {
    for await (const chunk of body) {
      if (at + heldBytes + chunk.length > o.size)
        throw new PayloadTooLargeError(
          `The upload was declared as ${o.size} bytes; these go beyond it`,
          'beyond_declared_size',
        );
      held.push(chunk);
      heldBytes += chunk.length;
      while (heldBytes >= PIECE_BYTES) {
        const all = Buffer.concat(held);
        await store(all.subarray(0, PIECE_BYTES));
        held = [all.subarray(PIECE_BYTES)];
        heldBytes = held[0].length;
      }
    }
  } catch (e) {
    if (!isCutOff(e)) throw e;
  }
  if (heldBytes) await store(Buffer.concat(held));
  return at;
}

async function* chain(sessionId: string, size: number): AsyncGenerator<Buffer> {
  let at = 0;
  while (at < size) {
    const p = (await pieces().findOne({ _id: pieceId(sessionId, at) as never })) as unknown as StoredPiece | null;
    if (!p) throw new Error(`upload ${sessionId}: no piece at ${at}`);
    const data = bytesOf(p.data);
    at += data.length;
    yield data;
  }
}

/** The stored bytes in order, one piece in memory at a time. */
export function readPieces(sessionId: string, size: number): Readable {
  return Readable.from(chain(sessionId, size), { objectMode: false });
}

/**
 * Deletes the chain, its last piece first: a deletion cut short leaves a shorter chain from 0,
 * which the next purge finds again.
 */
export async function deletePieces(sessionId: string): Promise<void> {
  const ids: string[] = [];
  let at = 0;
  for (let size = await pieceSize(sessionId, at); size !== null; size = await pieceSize(sessionId, at)) {
    ids.push(pieceId(sessionId, at));
    at += size;
  }
  for (const id of ids.reverse()) await pieces().deleteOne({ _id: id as never });
}
