/**
 * Where and when the evidence says the auditor was (SPEC §9). Pure: no I/O. These flags join the
 * plausibility flags of SPEC §4: they flag a visit for the reviewer and never block it.
 * Codes are stable: pages, reports and other systems key on them.
 */
export const LOCATION_FLAG = {
  noLocation: 'no_location',
  farFromBranch: 'far_from_branch',
  lowAccuracy: 'low_accuracy',
  timeMismatch: 'time_mismatch',
  evidenceTimeMismatch: 'evidence_time_mismatch',
  evidenceFarFromBranch: 'evidence_far_from_branch',
} as const;

/** The mean Earth radius of SPEC §9 (IUGG), in metres. */
export const EARTH_RADIUS_M = 6_371_008.8;
export const DEFAULT_GEOFENCE_M = 300;
/** A position less precise than this proves nothing about being at the branch. */
export const LOW_ACCURACY_M = 500;
/** The typed visit time may lie this far outside [arrive, leave]. */
export const ARRIVE_LEAVE_SLACK_MS = 15 * 60_000;
/** A photo taken further than this from the visit time is not evidence of that visit. */
export const EVIDENCE_TIME_SLACK_MS = 2 * 3600_000;

export interface Position {
  lat: number;
  lng: number;
}

export interface PositionRecord extends Position {
  kind: 'arrive' | 'leave';
  /** metres, as the device reported it */
  accuracy: number;
  capturedAt: Date;
}

export interface LocationFacts {
  visitedAt: Date;
  /** The branch's coordinates; without them no distance can be judged. */
  branch?: Position | null;
  geofenceMeters: number;
  records: PositionRecord[];
  /** The auditor's phone refused to give its position when asked (recorded by the form). */
  refused?: boolean;
  /** Photos' EXIF capture time (already read in the bank's zone or the photo's offset) and GPS. */
  photos: { capturedAt?: Date | null; gps?: Position | null }[];
}

export interface LocationFlag {
  code: string;
  message: string;
}

const rad = (deg: number) => (deg * Math.PI) / 180;

/** The haversine distance in metres on a sphere of radius EARTH_RADIUS_M. */
export function distanceMeters(a: Position, b: Position): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The first record of a kind: a later tap does not move the proof of arrival. */
const firstOf = (records: PositionRecord[], kind: PositionRecord['kind']) =>
  records.filter((r) => r.kind === kind).sort((x, y) => x.capturedAt.getTime() - y.capturedAt.getTime())[0];

function arriveFlags(f: LocationFacts, arrive: PositionRecord): LocationFlag[] {
  const flags: LocationFlag[] = [];
  if (arrive.accuracy > LOW_ACCURACY_M)
    flags.push({
      code: LOCATION_FLAG.lowAccuracy,
      message: `The arrival position is accurate to ${Math.round(arrive.accuracy)} m only (more than ${LOW_ACCURACY_M} m)`,
    });
  if (f.branch) {
    const away = distanceMeters(arrive, f.branch) - arrive.accuracy;
    if (away > f.geofenceMeters)
      flags.push({
        code: LOCATION_FLAG.farFromBranch,
        message: `Arrived ${Math.round(away)} m beyond the accuracy from the branch (the bank allows ${f.geofenceMeters} m)`,
      });
  }
  return flags;
}

function timeFlag(f: LocationFacts, arrive: PositionRecord, leave?: PositionRecord): LocationFlag[] {
  const at = f.visitedAt.getTime();
  const from = arrive.capturedAt.getTime() - ARRIVE_LEAVE_SLACK_MS;
  const to = (leave ?? arrive).capturedAt.getTime() + ARRIVE_LEAVE_SLACK_MS;
  if (at >= from && at <= to) return [];
  return [
    {
      code: LOCATION_FLAG.timeMismatch,
      message: 'The visit time is not within 15 minutes of the recorded arrival and departure',
    },
  ];
}

function photoFlags(f: LocationFacts): LocationFlag[] {
  const at = f.visitedAt.getTime();
  const late = f.photos.filter((p) => p.capturedAt && Math.abs(p.capturedAt.getTime() - at) > EVIDENCE_TIME_SLACK_MS);
  const branch = f.branch;
  const far = branch ? f.photos.filter((p) => p.gps && distanceMeters(p.gps, branch) > f.geofenceMeters) : [];
  const flags: LocationFlag[] = [];
  if (late.length)
    flags.push({
      code: LOCATION_FLAG.evidenceTimeMismatch,
      message: `${late.length} photo(s) taken more than 2 hours from the visit time`,
    });
  if (far.length)
    flags.push({
      code: LOCATION_FLAG.evidenceFarFromBranch,
      message: `${far.length} photo(s) taken more than ${f.geofenceMeters} m from the branch`,
    });
  return flags;
}

export function computeLocationFlags(f: LocationFacts): LocationFlag[] {
  const arrive = firstOf(f.records, 'arrive');
  const leave = firstOf(f.records, 'leave');
  const flags: LocationFlag[] = [];
  if (!arrive)
    flags.push({
      code: LOCATION_FLAG.noLocation,
      message: f.refused ? 'The phone refused to give its location' : 'No arrival was recorded at the branch',
    });
  if (arrive) flags.push(...arriveFlags(f, arrive), ...timeFlag(f, arrive, leave));
  return [...flags, ...photoFlags(f)];
}
