import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import type { Contribution } from '../server/stats/contribution';
import {
  BranchBuild,
  countedEntries,
  entriesSource,
  type BranchEntries,
  type Entry,
} from '../server/stats/branch-build';
import { summarizeBranch } from '../server/stats/summaries';

/**
 * A branch record built as its visits stream in (a rebuild) against the same visits put one after
 * the other into an object (what a sync and `stats verify` hold): the JSON written and the summary
 * must be the very same text, whatever order the ids come in, a visit read twice and tombstones
 * included; and visits that come in id order are summed up as they come, not worked out again. Pure.
 */

const contribution = (over: Partial<Contribution> = {}): Contribution => ({
  rev: 1,
  auditorId: 'aud-1',
  staffIds: [],
  scores: [80, null, 70, null, 75],
  items: [{ key: 'g1', section: 'greeting', failed: false }],
  violations: [],
  disputed: false,
  visitedAt: '2026-04-01T00:00:00.000Z',
  questionnaire: 'q:1',
  ...over,
});

const hex = (n: number) => n.toString(16).padStart(24, '0');

/** The same visits put into an object, as a branch record holds them. */
function asObject(visits: readonly (readonly [string, Entry])[]): BranchEntries {
  const out: BranchEntries = {};
  for (const [id, entry] of visits) out[id] = entry;
  return out;
}

function built(visits: readonly (readonly [string, Entry])[]): BranchBuild {
  const b = new BranchBuild('North');
  for (const [id, entry] of visits) b.add(id, entry);
  return b;
}

/** JSON and summary of a build against those of the object. */
function expectSame(visits: readonly (readonly [string, Entry])[], seq = 7): void {
  const b = built(visits);
  const entries = asObject(visits);
  expect(b.json()).toBe(JSON.stringify(entries));
  expect(JSON.stringify(b.summary(seq))).toBe(JSON.stringify(summarizeBranch(countedEntries(entries), seq)));
}

const score = fc.oneof(fc.constant(null), fc.double({ min: 0, max: 100, noNaN: true, noDefaultInfinity: true }));
const entry: fc.Arbitrary<Entry> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      rev: fc.nat(5),
      auditorId: fc.constantFrom('aud-1', 'aud-2'),
      staffIds: fc.uniqueArray(fc.constantFrom('s1', 's2', 's3'), { maxLength: 2 }),
      scores: fc.array(score, { minLength: 5, maxLength: 5 }),
      items: fc.array(
        fc.record({
          key: fc.constantFrom('g1', 'g2', 'p1'),
          section: fc.constant('greeting' as const),
          failed: fc.boolean(),
        }),
        { maxLength: 3 },
      ),
      violations: fc.array(fc.record({ itemKey: fc.constantFrom('c1', 'c2'), sectionKey: fc.constant(null) }), {
        maxLength: 2,
      }),
      disputed: fc.boolean(),
      visitedAt: fc.constant('2026-04-01T00:00:00.000Z'),
      questionnaire: fc.constant('q:1'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ rev: fc.nat(5), removed: fc.constant(true as const) }) },
);
/** Visit ids: mostly ObjectIds, sometimes short ones and array indexes (listed first by JSON.stringify). */
const id = fc.oneof(
  { weight: 6, arbitrary: fc.nat(40).map(hex) },
  { weight: 1, arbitrary: fc.constantFrom('7', '10', '4294967294', 'v-1', '0000000000a') },
);

describe('BranchBuild', () => {
  test('any visits, in any order, read twice or stopped counting: the JSON and summary of the object they make', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(id, entry), { maxLength: 12 }), fc.nat(99), (visits, seq) =>
        expectSame(visits, seq),
      ),
      propertyRuns(300),
    );
  });

  test('visits in id order: the same, and summed up as they came (the summary is the one it kept)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(1000), { maxLength: 12 }),
        fc.array(entry, { minLength: 12 }),
        (ns, entries) => {
          const visits = [...ns].sort((a, b) => a - b).map((n, i) => [hex(n), entries[i]] as const);
          expectSame(visits);
          const b = built(visits);
          expect(b.summary(3)).toBe(b.summary(4));
        },
      ),
      propertyRuns(100),
    );
  });

  test('an id lower than one before it: the summary is summed up by id, like summarizeBranch', () => {
    const visits = [
      [hex(2), contribution({ staffIds: ['s2'], items: [{ key: 'p1', section: 'product_knowledge', failed: true }] })],
      [hex(1), contribution({ staffIds: ['s1'], violations: [{ itemKey: 'c1', sectionKey: null }] })],
      [hex(3), contribution({ staffIds: ['s2'], violations: [{ itemKey: 'c2', sectionKey: null }] })],
    ] as const;
    expectSame(visits);
    expect(Object.keys(built(visits).summary(1).staff)).toEqual(['s1', 's2']);
  });

  test('the same visit read twice: its first place, its last entry', () => {
    const visits = [
      [hex(1), contribution({ rev: 1 })],
      [hex(2), contribution()],
      [hex(1), { rev: 2, removed: true }],
    ] as const;
    expectSame(visits);
    expect(JSON.parse(built(visits).json())).toEqual({ [hex(1)]: { rev: 2, removed: true }, [hex(2)]: contribution() });
    expect(built(visits).summary(1).visits).toBe(1);
  });

  test('the same visit read twice in a row: once, with its last entry', () => {
    const visits = [
      [hex(1), contribution({ rev: 1, disputed: true })],
      [hex(1), contribution({ rev: 2 })],
    ] as const;
    expectSame(visits);
    expect(built(visits).summary(1)).toMatchObject({ visits: 1, disputed: 0 });
  });

  test('an array index after a longer id in text order: JSON.stringify lists it first, and so does the build', () => {
    const visits = [
      ['0000000000a', contribution()],
      ['1000000000', contribution({ auditorId: 'aud-2' })],
    ] as const;
    expectSame(visits);
    expect(Object.keys(JSON.parse(built(visits).json()))).toEqual(['1000000000', '0000000000a']);
  });

  test('a tombstone is written and not summed up; the summary takes the seq it is asked at', () => {
    const visits = [
      [hex(1), { rev: 3, removed: true }],
      [hex(2), contribution({ disputed: true })],
    ] as const;
    expectSame(visits, 42);
    const summary = built(visits).summary(42);
    expect(summary).toMatchObject({ seq: 42, visits: 1, disputed: 1 });
    expect(built([]).json()).toBe('{}');
    expect(built([]).summary(5)).toMatchObject({ seq: 5, visits: 0 });
  });

  test('its region is the one it was made with', () => {
    expect(new BranchBuild('South').region).toBe('South');
  });
});

describe('entriesSource and countedEntries', () => {
  const entries: BranchEntries = { [hex(2)]: contribution(), [hex(1)]: { rev: 2, removed: true } };

  test('the JSON of the entries and the summary of the counted ones', () => {
    const source = entriesSource('East', entries);
    expect(source.region).toBe('East');
    expect(source.json()).toBe(JSON.stringify(entries));
    expect(source.summary(9)).toEqual(summarizeBranch({ [hex(2)]: contribution() }, 9));
  });

  test('countedEntries leaves the tombstones out', () => {
    expect(countedEntries(entries)).toEqual({ [hex(2)]: contribution() });
  });
});
