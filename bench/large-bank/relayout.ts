import mongoose from 'mongoose';
import {
  bucketPart,
  intoBuckets,
  regionSummary,
  type BucketBranches,
  type RegionBuckets,
} from '../../server/stats/buckets';
import { packValue, unpackValue } from '../../server/stats/packing';
import { bucketId, regionId } from '../../server/stats/store';
import type { AreaSummary } from '../../server/stats/summaries';
import { DB_NAME, log } from './settings';

/**
 * The large bank kept in BENCH_DATA_DIR may hold its statistics in the layout before the buckets (a
 * region record of every branch summary, a bank record of every region's summary and violations).
 * On a fresh copy, before anything reads it, this rewrites them in the present layout from those
 * records alone (the branch summaries split into their buckets; every `seq` kept, so the chain of
 * "taken at" stays true) — a minute, where a `stats rebuild` of four quarters would read all
 * 412,000 visits four times. A deployed app takes `stats rebuild` instead. Nothing to do on data
 * already in the present layout.
 */
interface PackedDoc {
  _id: string;
  bankId: mongoose.Types.ObjectId;
  quarter: string;
  seq: number;
  packed: string;
}

export async function relayoutStats(uri: string): Promise<void> {
  const conn = await mongoose.createConnection(uri, { dbName: DB_NAME }).asPromise();
  try {
    const banks = conn.collection<PackedDoc>('stats_banks');
    const regions = conn.collection<PackedDoc>('stats_regions');
    const buckets = conn.collection('stats_buckets');
    const t0 = Date.now();
    let converted = 0;
    for (const bank of await banks.find({}).toArray()) {
      const old = unpackValue<Record<string, object>>(bank.packed);
      if (!Object.values(old).some((r) => 'summary' in r)) continue; // the present layout
      const bankId = String(bank.bankId);
      const next: Record<string, AreaSummary> = {};
      for (const region of Object.keys(old)) {
        const doc = await regions.findOne({ _id: regionId(bankId, bank.quarter, region) });
        if (!doc) continue;
        const value: RegionBuckets = {};
        const docs = [...intoBuckets(unpackValue<BucketBranches>(doc.packed))].map(([k, part]) => {
          value[k] = bucketPart(part, doc.seq);
          const _id = bucketId(bankId, bank.quarter, region, k);
          return {
            _id,
            bankId: bank.bankId,
            quarter: bank.quarter,
            region,
            bucket: k,
            seq: doc.seq,
            packed: packValue(part),
          };
        });
        if (docs.length) await buckets.insertMany(docs as never[], { ordered: false });
        await regions.updateOne({ _id: doc._id }, { $set: { packed: packValue(value) } });
        next[region] = regionSummary(value, doc.seq);
      }
      await banks.updateOne({ _id: bank._id }, { $set: { packed: packValue(next) } });
      converted += 1;
    }
    if (converted)
      log(
        `statistics of ${converted} bank quarters put in the bucket layout in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      );
  } finally {
    await conn.close();
  }
}
