import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import {
  ARRIVE_LEAVE_SLACK_MS,
  computeLocationFlags,
  DEFAULT_GEOFENCE_M,
  distanceMeters,
  EARTH_RADIUS_M,
  EVIDENCE_TIME_SLACK_MS,
  LOCATION_FLAG,
  LOW_ACCURACY_M,
  type LocationFacts,
  type PositionRecord,
} from '../server/rules/location';

/**
 * SPEC §9 location flags, pure: each boundary pinned (inclusive or not, by how much), the haversine
 * distance against known figures. The flags go to the reviewer beside the decision.
 */
const MIN = 60_000;
const branch = { lat: 31.2304, lng: 121.4737 };
const visitedAt = new Date('2026-12-01T02:00:00.000Z');
/** Metres per degree of latitude on the sphere of SPEC §9. */
const M_PER_DEG = (Math.PI * EARTH_RADIUS_M) / 180;
const north = (m: number) => ({ lat: branch.lat + m / M_PER_DEG, lng: branch.lng });

const rec = (kind: PositionRecord['kind'], over: Partial<PositionRecord> = {}): PositionRecord => ({
  kind,
  ...branch,
  accuracy: 20,
  capturedAt: new Date(visitedAt.getTime() + (kind === 'arrive' ? -5 : 30) * MIN),
  ...over,
});
const facts = (over: Partial<LocationFacts> = {}): LocationFacts => ({
  visitedAt,
  branch,
  geofenceMeters: DEFAULT_GEOFENCE_M,
  records: [rec('arrive'), rec('leave')],
  photos: [],
  ...over,
});
const codes = (over: Partial<LocationFacts>) => computeLocationFlags(facts(over)).map((f) => f.code);

describe('distanceMeters (haversine, R = 6,371,008.8 m)', () => {
  test('one degree of latitude is πR/180 and one of longitude at the equator the same', () => {
    expect(distanceMeters({ lat: 0, lng: 0 }, { lat: 1, lng: 0 })).toBeCloseTo(111_195.08, 1);
    expect(distanceMeters({ lat: 0, lng: 0 }, { lat: 0, lng: 1 })).toBeCloseTo(111_195.08, 1);
    expect(distanceMeters({ lat: 0, lng: 0 }, { lat: 0, lng: -1 })).toBeCloseTo(111_195.08, 1);
  });

  test('the antipode is half the circumference', () => {
    expect(distanceMeters({ lat: 0, lng: 0 }, { lat: 0, lng: 180 })).toBeCloseTo(Math.PI * EARTH_RADIUS_M, 3);
    expect(distanceMeters({ lat: 90, lng: 0 }, { lat: -90, lng: 0 })).toBeCloseTo(Math.PI * EARTH_RADIUS_M, 3);
  });

  test('longitude shrinks with the cosine of the latitude', () => {
    expect(distanceMeters({ lat: 60, lng: 0 }, { lat: 60, lng: 1 })).toBeCloseTo(55_596.9, 0);
  });

  test('symmetric, zero on the spot, never negative', () => {
    const pos = fc.record({
      lat: fc.double({ min: -90, max: 90, noNaN: true }),
      lng: fc.double({ min: -180, max: 180, noNaN: true }),
    });
    fc.assert(
      fc.property(pos, pos, (a, b) => {
        const d = distanceMeters(a, b);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.PI * EARTH_RADIUS_M + 1e-6);
        expect(Math.abs(d - distanceMeters(b, a))).toBeLessThan(1e-6);
        expect(distanceMeters(a, a)).toBe(0);
      }),
      propertyRuns(200),
    );
  });
});

describe('location flags', () => {
  test('arrived at the branch, accurate, visit time between arrive and leave, photos on the spot: no flag', () => {
    expect(codes({ photos: [{ capturedAt: visitedAt, gps: branch }, {}] })).toEqual([]);
  });

  test('no arrival: no_location, worded for a refusal when the phone refused', () => {
    expect(codes({ records: [] })).toEqual([LOCATION_FLAG.noLocation]);
    expect(codes({ records: [rec('leave')] })).toEqual([LOCATION_FLAG.noLocation]);
    const refused = computeLocationFlags(facts({ records: [], refused: true }));
    expect(refused.map((f) => f.code)).toEqual([LOCATION_FLAG.noLocation]);
    expect(refused[0].message).toMatch(/refused/);
    expect(computeLocationFlags(facts({ records: [] }))[0].message).toMatch(/No arrival/);
    // A refusal followed by a position is not "no location".
    expect(codes({ refused: true })).toEqual([]);
  });

  test('far_from_branch: distance minus accuracy beyond the geofence, not at it', () => {
    const at = (m: number, accuracy = 0) =>
      codes({ records: [rec('arrive', { ...north(m), accuracy }), rec('leave')] });
    expect(at(299)).toEqual([]);
    expect(at(301)).toEqual([LOCATION_FLAG.farFromBranch]);
    expect(at(2000)).toEqual([LOCATION_FLAG.farFromBranch]);
    expect(at(700, 450)).toEqual([]); // 700 m away ± 450 m could be at the branch
    expect(at(700, 390)).toEqual([LOCATION_FLAG.farFromBranch]);
    expect(at(2000, 1750)).toEqual([LOCATION_FLAG.lowAccuracy]);
    expect(at(2000, 1690)).toEqual([LOCATION_FLAG.lowAccuracy, LOCATION_FLAG.farFromBranch]);
    expect(codes({ geofenceMeters: 2500, records: [rec('arrive', north(2000))] })).toEqual([]);
    const far = computeLocationFlags(facts({ records: [rec('arrive', { ...north(2000), accuracy: 0 })] }));
    expect(far[0].message).toContain('2000 m');
    expect(far[0].message).toContain('300 m');
    // A leave far away (the auditor walked on) proves nothing against the arrival.
    expect(codes({ records: [rec('arrive'), rec('leave', north(5000))] })).toEqual([]);
  });

  test('far_from_branch: distance minus accuracy exactly at the geofence is not beyond it', () => {
    // The geofence set to the very distance the rule computes (to the last bit): "> geofenceMeters".
    const pos = north(700);
    const fence = distanceMeters(pos, branch) - 400;
    const arrive = rec('arrive', { ...pos, accuracy: 400 });
    expect(codes({ geofenceMeters: fence, records: [arrive, rec('leave')] })).toEqual([]);
    expect(codes({ geofenceMeters: fence - 0.001, records: [arrive, rec('leave')] })).toEqual([
      LOCATION_FLAG.farFromBranch,
    ]);
    // On the spot with a perfect fix and no allowance at all: 0 m away is not beyond 0 m.
    expect(codes({ geofenceMeters: 0, records: [rec('arrive', { accuracy: 0 }), rec('leave')] })).toEqual([]);
  });

  test('without branch coordinates no distance is judged', () => {
    expect(codes({ branch: null, records: [rec('arrive', north(5000))], photos: [{ gps: north(5000) }] })).toEqual([]);
  });

  test('low_accuracy above 500 m, not at 500 m', () => {
    expect(codes({ records: [rec('arrive', { accuracy: LOW_ACCURACY_M }), rec('leave')] })).toEqual([]);
    expect(codes({ records: [rec('arrive', { accuracy: 501 }), rec('leave')] })).toEqual([LOCATION_FLAG.lowAccuracy]);
    expect(computeLocationFlags(facts({ records: [rec('arrive', { accuracy: 812.4 })] }))[0].message).toContain(
      '812 m',
    );
  });

  test('time_mismatch: the typed time outside [arrive − 15 min, leave + 15 min], bounds included', () => {
    const arrive = rec('arrive', { capturedAt: new Date(visitedAt.getTime() + ARRIVE_LEAVE_SLACK_MS) });
    expect(codes({ records: [arrive, rec('leave')] })).toEqual([]);
    const late = rec('arrive', { capturedAt: new Date(visitedAt.getTime() + ARRIVE_LEAVE_SLACK_MS + 1) });
    expect(codes({ records: [late, rec('leave')] })).toEqual([LOCATION_FLAG.timeMismatch]);
    const leave = rec('leave', { capturedAt: new Date(visitedAt.getTime() - ARRIVE_LEAVE_SLACK_MS) });
    const early = rec('arrive', { capturedAt: new Date(visitedAt.getTime() - 60 * MIN) });
    expect(codes({ records: [early, leave] })).toEqual([]);
    const leftBefore = rec('leave', { capturedAt: new Date(visitedAt.getTime() - ARRIVE_LEAVE_SLACK_MS - 1) });
    expect(codes({ records: [early, leftBefore] })).toEqual([LOCATION_FLAG.timeMismatch]);
    // Without a leave record the arrival alone bounds the time.
    const only = (ms: number) =>
      codes({ records: [rec('arrive', { capturedAt: new Date(visitedAt.getTime() - ms) })] });
    expect(only(ARRIVE_LEAVE_SLACK_MS)).toEqual([]);
    expect(only(ARRIVE_LEAVE_SLACK_MS + 1)).toEqual([LOCATION_FLAG.timeMismatch]);
  });

  test('time_mismatch: 15 minutes by the clock (visit typed 10:00 Shanghai, arrival 10:15 and 10:15:00.001)', () => {
    const arrivingAt = (iso: string) => codes({ records: [rec('arrive', { capturedAt: new Date(iso) })] });
    expect(arrivingAt('2026-12-01T02:15:00.000Z')).toEqual([]);
    expect(arrivingAt('2026-12-01T02:15:00.001Z')).toEqual([LOCATION_FLAG.timeMismatch]);
    expect(arrivingAt('2026-12-01T01:45:00.000Z')).toEqual([]);
    expect(arrivingAt('2026-12-01T01:44:59.999Z')).toEqual([LOCATION_FLAG.timeMismatch]);
  });

  test('time_mismatch says in words what the reviewer should check', () => {
    const late = rec('arrive', { capturedAt: new Date(visitedAt.getTime() + 60 * MIN) });
    expect(computeLocationFlags(facts({ records: [late] }))).toEqual([
      {
        code: LOCATION_FLAG.timeMismatch,
        message: 'The visit time is not within 15 minutes of the recorded arrival and departure',
      },
    ]);
  });

  test('the first arrival and the first leave count, whatever the order they are listed in', () => {
    const first = rec('arrive', { capturedAt: new Date(visitedAt.getTime() - 10 * MIN) });
    const again = rec('arrive', { ...north(3000), capturedAt: new Date(visitedAt.getTime() + 10 * MIN) });
    expect(codes({ records: [again, first, rec('leave')] })).toEqual([]);
    const leave1 = rec('leave', { capturedAt: new Date(visitedAt.getTime() - 20 * MIN) });
    const leave2 = rec('leave', { capturedAt: new Date(visitedAt.getTime() + 30 * MIN) });
    const early = rec('arrive', { capturedAt: new Date(visitedAt.getTime() - 60 * MIN) });
    expect(codes({ records: [leave2, early, leave1] })).toEqual([LOCATION_FLAG.timeMismatch]);
  });

  test('evidence_time_mismatch: a photo more than 2 h from the visit time, either side', () => {
    const photo = (ms: number) => ({ capturedAt: new Date(visitedAt.getTime() + ms) });
    expect(codes({ photos: [photo(EVIDENCE_TIME_SLACK_MS), photo(-EVIDENCE_TIME_SLACK_MS)] })).toEqual([]);
    expect(codes({ photos: [photo(EVIDENCE_TIME_SLACK_MS + 1)] })).toEqual([LOCATION_FLAG.evidenceTimeMismatch]);
    expect(codes({ photos: [photo(-EVIDENCE_TIME_SLACK_MS - 1)] })).toEqual([LOCATION_FLAG.evidenceTimeMismatch]);
    const two = computeLocationFlags(facts({ photos: [photo(-5 * 3600_000), photo(9 * 3600_000), photo(0)] }));
    expect(two[0].message).toMatch(/^2 photo/);
  });

  test('evidence_time_mismatch: 2 hours by the clock (visit typed 10:00 Shanghai, photos at 12:00 and 08:00)', () => {
    const shot = (iso: string) => codes({ photos: [{ capturedAt: new Date(iso) }] });
    expect(shot('2026-12-01T04:00:00.000Z')).toEqual([]);
    expect(shot('2026-12-01T04:00:00.001Z')).toEqual([LOCATION_FLAG.evidenceTimeMismatch]);
    expect(shot('2026-12-01T00:00:00.000Z')).toEqual([]);
    expect(shot('2026-11-30T23:59:59.999Z')).toEqual([LOCATION_FLAG.evidenceTimeMismatch]);
  });

  test('evidence_far_from_branch: a photo beyond the geofence, not at it', () => {
    expect(codes({ photos: [{ gps: north(299) }] })).toEqual([]);
    expect(codes({ photos: [{ gps: north(301) }] })).toEqual([LOCATION_FLAG.evidenceFarFromBranch]);
    expect(codes({ geofenceMeters: 1000, photos: [{ gps: north(999) }] })).toEqual([]);
    // Exactly at the geofence (the very distance the rule computes) is not beyond it.
    const at = north(450);
    const fence = distanceMeters(at, branch);
    expect(codes({ geofenceMeters: fence, photos: [{ gps: at }] })).toEqual([]);
    expect(codes({ geofenceMeters: fence - 0.001, photos: [{ gps: at }] })).toEqual([
      LOCATION_FLAG.evidenceFarFromBranch,
    ]);
    const msg = computeLocationFlags(facts({ photos: [{ gps: north(2000) }, { gps: north(3000) }] }))[0].message;
    expect(msg).toMatch(/^2 photo/);
    expect(msg).toContain('300 m');
  });

  test('several at once, in a stable order', () => {
    expect(
      codes({
        records: [
          rec('arrive', { ...north(2000), accuracy: 600, capturedAt: new Date(visitedAt.getTime() - 5 * 3600_000) }),
        ],
        photos: [{ capturedAt: new Date(visitedAt.getTime() + 3 * 3600_000), gps: north(4000) }],
      }),
    ).toEqual([
      LOCATION_FLAG.lowAccuracy,
      LOCATION_FLAG.farFromBranch,
      LOCATION_FLAG.timeMismatch,
      LOCATION_FLAG.evidenceTimeMismatch,
      LOCATION_FLAG.evidenceFarFromBranch,
    ]);
    expect(codes({ records: [], photos: [{ gps: north(4000) }] })).toEqual([
      LOCATION_FLAG.noLocation,
      LOCATION_FLAG.evidenceFarFromBranch,
    ]);
  });
});
