import { Schema, model } from 'mongoose';

/**
 * The kept statistics (SPEC §15), one document per bank × quarter × branch, per bucket of a region's
 * branches (./buckets.ts), per region, per bank.
 * Each is written as a whole with a compare-and-set on `seq` (single-document atomic updates only),
 * and each says which version of its parts it was computed from, so a replayed or late update is
 * recognised and changes nothing.
 *
 * The bulky parts are stored as one text (`packed`: JSON, deflated when larger; ./packing.ts packValue):
 * a record is read and rewritten whole on every change anyway, and as a single value the database
 * neither walks nor re-encodes its inner structure (on the embedded FerretDB that is what costs; see
 * docs/architecture.md). A change rewrites one record of each level, so the levels are cut small: a
 * bucket holds ~1/16 of a region's branch summaries, a region one summary per bucket, the bank one per
 * region. Only this feature reads them, through ./store.ts (packed by ./packing.ts).
 */
const branchSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${bankId}:${quarter}:${branchCode}`
    bankId: { type: Schema.Types.ObjectId, required: true },
    quarter: { type: String, required: true },
    branchCode: { type: String, required: true },
    /** The region the branch was last summed into (its current region then). */
    region: { type: String, default: null },
    seq: { type: Number, required: true },
    /** Packed (./packing.ts): visit id → its contribution (or a tombstone `{rev, removed: true}`). */
    packed: { type: String, required: true },
  },
  { versionKey: false, timestamps: { createdAt: false, updatedAt: true } },
);
branchSchema.index({ bankId: 1, quarter: 1 });
branchSchema.index({ bankId: 1, branchCode: 1 });
export const StatsBranch = model('StatsBranch', branchSchema, 'stats_branches');

const bucketSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${bankId}:${quarter}:${bucket}:${region}`
    bankId: { type: Schema.Types.ObjectId, required: true },
    quarter: { type: String, required: true },
    region: { type: String, required: true },
    bucket: { type: Number, required: true },
    seq: { type: Number, required: true },
    /** JSON: branch code → BranchSummary, for the region's branches in this bucket. */
    packed: { type: String, required: true },
  },
  { versionKey: false, timestamps: { createdAt: false, updatedAt: true } },
);
bucketSchema.index({ bankId: 1, quarter: 1 });
export const StatsBucket = model('StatsBucket', bucketSchema, 'stats_buckets');

const regionSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${bankId}:${quarter}:${region}`
    bankId: { type: Schema.Types.ObjectId, required: true },
    quarter: { type: String, required: true },
    region: { type: String, required: true },
    seq: { type: Number, required: true },
    /** JSON: bucket → its AreaSummary and its violations (each with its branch). */
    packed: { type: String, required: true },
  },
  { versionKey: false, timestamps: { createdAt: false, updatedAt: true } },
);
regionSchema.index({ bankId: 1, quarter: 1 });
export const StatsRegion = model('StatsRegion', regionSchema, 'stats_regions');

const bankSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${bankId}:${quarter}`
    bankId: { type: Schema.Types.ObjectId, required: true },
    quarter: { type: String, required: true },
    seq: { type: Number, required: true },
    /** JSON: region → its AreaSummary. */
    packed: { type: String, required: true },
  },
  { versionKey: false, timestamps: { createdAt: false, updatedAt: true } },
);
bankSchema.index({ bankId: 1, quarter: 1 });
export const StatsBank = model('StatsBank', bankSchema, 'stats_banks');
