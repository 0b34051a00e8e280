import { Schema, model, type Types } from 'mongoose';

/**
 * Resumable uploads, private to this feature (see service.ts for the protocol).
 *
 * - A session: one file on its way to a visit, with what was declared up front. Its `_id` is a
 *   string: derived from the owner and the client's Idempotency-Key when one is sent (so a repeated
 *   create finds the same session by exact `_id`), random otherwise. `offset` is a hint of how many
 *   bytes are stored; the pieces themselves are the truth (pieces.ts).
 * - A piece: up to PIECE_BYTES of the file, stored under `<session>:<offset>`. Only one piece can
 *   exist at an offset (the `_id` is unique), which is what keeps two writers from interleaving.
 *   Every read and delete names a piece by its exact `_id`, the only filter FerretDB 1.24 serves
 *   from an index.
 */
export const SESSION_STATUSES = ['open', 'completing', 'complete'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

const sessionSchema = new Schema(
  {
    _id: { type: String, required: true },
    visitId: { type: Schema.Types.ObjectId, required: true },
    ownerId: { type: Schema.Types.ObjectId, required: true },
    name: { type: String, required: true },
    size: { type: Number, required: true },
    itemKey: { type: String, default: null },
    /** The GridFS file the pieces become on completion (chosen up front, so a retried completion finds it). */
    fileId: { type: Schema.Types.ObjectId, required: true },
    offset: { type: Number, required: true, default: 0 },
    status: { type: String, enum: SESSION_STATUSES, required: true, default: 'open' },
    /** The owner's open-upload slot it holds (slots.ts) until it completes, is cancelled or purged. */
    slot: { type: String, default: null },
    /** The attachment made on completion, returned again to every repeated completion. */
    attachment: { type: Schema.Types.Mixed, default: null },
    createdAt: { type: Date, required: true },
    /** Last time a byte arrived or the session changed: abandoned sessions are purged by it. */
    touchedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
export const UploadSession = model('UploadSession', sessionSchema, 'upload_sessions');

export interface SessionDoc {
  _id: string;
  visitId: Types.ObjectId;
  ownerId: Types.ObjectId;
  name: string;
  size: number;
  itemKey: string | null;
  fileId: Types.ObjectId;
  offset: number;
  status: SessionStatus;
  slot?: string | null;
  attachment: Record<string, unknown> | null;
  createdAt: Date;
  touchedAt: Date;
}

const pieceSchema = new Schema(
  {
    _id: { type: String, required: true },
    data: { type: Buffer, required: true },
  },
  { versionKey: false },
);
export const UploadPiece = model('UploadPiece', pieceSchema, 'upload_pieces');
