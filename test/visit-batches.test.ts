import { Types } from 'mongoose';
import { Visit } from '../server/visits/model';
import { visitBatchesForStats } from '../server/visits/service';
import { readAhead } from '../server/platform/db/read-ahead';
import { startTestApp, stopTestApp } from './helpers/app';

/**
 * The visits a rebuild or `stats verify` reads (visits/readers.ts visitBatchesForStats): every visit
 * of the bank and quarter asked for, and only those, in the cursor's batches of 1,000 taken whole —
 * across more than two batches, and through the read-ahead the rebuild reads them by.
 */
jest.setTimeout(120_000);

const bankId = new Types.ObjectId();
const otherBank = new Types.ObjectId();
const ids: string[] = [];

beforeAll(async () => {
  await startTestApp();
  // Stored as they are (the reader's filter and batches are what is tested, not the visits' rules).
  const doc = (bank: Types.ObjectId, quarter: string, i: number) => ({
    _id: new Types.ObjectId(),
    bankId: bank,
    quarter,
    branchCode: `B${i % 7}`,
    region: 'North',
    status: 'approved',
    rev: 1,
  });
  const mine = Array.from({ length: 2_345 }, (_, i) => doc(bankId, '2031-Q1', i));
  ids.push(...mine.map((d) => String(d._id)));
  const others = [doc(bankId, '2031-Q2', 1), doc(otherBank, '2031-Q1', 2)];
  await Visit.collection.insertMany([...mine.slice(0, 1_200), ...others, ...mine.slice(1_200)]);
});
afterAll(stopTestApp);

test('every visit of the bank and quarter, none other, in batches of 1,000 taken whole', async () => {
  const sizes: number[] = [];
  const seen: string[] = [];
  for await (const batch of visitBatchesForStats(String(bankId), '2031-Q1')) {
    sizes.push(batch.length);
    seen.push(...batch.map((v) => String(v._id)));
  }
  expect(sizes).toEqual([1_000, 1_000, 345]);
  expect(seen.sort()).toEqual([...ids].sort());
});

test('every quarter of the bank when none is given; the same through the read-ahead', async () => {
  let n = 0;
  for await (const batch of readAhead(visitBatchesForStats(String(bankId)), 2)) n += batch.length;
  expect(n).toBe(2_346);
});
