import type { Principal } from '../platform/access';
import { now } from '../platform/clock';
import { ConflictError } from '../platform/errors';
import type { RecordLocationInput } from './schema';
import { assertStatus, derive, historyEntry, locationFlags, sectionsOf } from './rules';
import { commit, loadOwnVisit, retryPause } from './store';
import { EDITABLE, type StoredLocation, type StoredVisit } from './types';

/**
 * "Arrived" and "left" from the auditor's phone (SPEC §9): the device position, its accuracy and its
 * clock, and when the record reached the platform. Records are only added, never changed: the first
 * arrival is the one judged. The flags they earn are recomputed with the visit's others.
 */
export interface LocationView {
  kind: 'arrive' | 'leave';
  lat?: number;
  lng?: number;
  accuracy?: number;
  refused?: boolean;
  capturedAt: string;
  receivedAt: string;
}

export function locationView(l: StoredLocation): LocationView {
  return {
    kind: l.kind,
    ...(typeof l.lat === 'number' && typeof l.lng === 'number' ? { lat: l.lat, lng: l.lng } : {}),
    ...(typeof l.accuracy === 'number' ? { accuracy: l.accuracy } : {}),
    ...(l.refused ? { refused: true } : {}),
    capturedAt: new Date(l.capturedAt).toISOString(),
    receivedAt: new Date(l.receivedAt).toISOString(),
  };
}

function toStored(input: RecordLocationInput, key: string | undefined): StoredLocation {
  return {
    kind: input.kind,
    ...(input.refused
      ? { refused: true }
      : { lat: input.lat as number, lng: input.lng as number, accuracy: input.accuracy as number }),
    capturedAt: new Date(input.capturedAt),
    receivedAt: now(),
    ...(key ? { key } : {}),
  };
}

/**
 * Records one arrive / leave. Like an attachment it commutes with other changes of the visit, so a
 * lost race is retried on fresh data. With an Idempotency-Key a retry whose first answer was lost
 * finds its record on the visit and records nothing twice.
 */
export async function recordLocation(
  p: Principal,
  visitId: string,
  input: RecordLocationInput,
  key?: string,
): Promise<LocationView> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt) await retryPause(attempt);
    const v = await loadOwnVisit(p.id, visitId);
    const already = key ? (v.locations ?? []).find((l) => l.key === key) : undefined;
    if (already) return locationView(already);
    assertStatus(v, EDITABLE, 'given locations');
    const record = toStored(input, key);
    const saved = await save(p, v, record).catch((e) => {
      if (e instanceof ConflictError && e.code === 'conflict') return undefined;
      throw e;
    });
    if (saved) return locationView(record);
  }
  throw new ConflictError('The visit kept changing; send the position again', 'conflict');
}

async function save(p: Principal, v: StoredVisit, record: StoredLocation): Promise<StoredVisit> {
  const locations = [...(v.locations ?? []), record];
  const { flags } = await derive({ ...v, locations }, await sectionsOf(v));
  const { key: _key, ...shown } = record;
  return commit(v, {
    statuses: EDITABLE,
    ownerId: p.id,
    set: { locations, flags },
    entry: historyEntry(p, 'location_recorded', [{ field: 'locations', before: null, after: shown }]),
  });
}

/** What the auditor is warned of while still on site (SPEC §9): never blocking, the reviewer's rule. */
const WARNED = new Set(['no_location', 'far_from_branch', 'low_accuracy']);

/**
 * The location flags the visit would earn if it were submitted now, for the auditor's form. The same
 * rule as the reviewer's flags (rules/location.ts), so the phone and the review never disagree.
 */
export async function locationWarnings(p: Principal, visitId: string): Promise<string[]> {
  const v = await loadOwnVisit(p.id, visitId);
  if (!(v.locations ?? []).length) return [];
  const flags = await locationFlags({ ...v, firstSubmittedAt: v.firstSubmittedAt ?? now() });
  return flags.map((f) => f.code).filter((code) => WARNED.has(code));
}
