import { translate, type Locale } from '../../platform/i18n';
import { parseBody } from '../../platform/http/validation';
import { showTime } from '../../web/local-time';
import { param } from '../../web/forms';
import { recordLocationBody } from '../schema';
import { getVisit, locationWarnings, recordLocation, type LocationView } from '../service';
import type { VisitView } from '../view';
import { jsonRoute } from './json-route';
import { AUDITOR } from './shared';

/**
 * "Arrived" / "Left" on the phone (SPEC §9, public/visit-place.js): the browser's position is sent
 * here with the session's CSRF header; the answer carries the warnings of the reviewer's own rule,
 * in the page's language. They warn, never block.
 */
export const recordLocationJson = jsonRoute(AUDITOR, async ({ req, res, user, locale }) => {
  const visitId = param(req, 'visitId');
  const body = parseBody(recordLocationBody, req.body);
  const recorded = await recordLocation(user, visitId, body, req.get('idempotency-key') || undefined);
  const [warnings, { rev }] = await Promise.all([locationWarnings(user, visitId), getVisit(user, visitId)]);
  // The revision the record produced: the form's next save carries it (public/offline-queue.js).
  res.status(201).json({ recorded, rev, warnings: warnings.map((code) => translate(locale, `visits.flag.${code}`)) });
});

/** The card's state as the page first shows it: the first arrival and departure, and the warnings. */
export async function placeView(
  user: Parameters<typeof locationWarnings>[0],
  visit: VisitView,
  locale: Locale,
  timezone: string,
) {
  const first = (kind: LocationView['kind']) => (visit.locations ?? []).find((l) => l.kind === kind);
  const line = (l: LocationView | undefined) =>
    l &&
    (l.refused
      ? translate(locale, 'visits.place.refused')
      : translate(locale, 'visits.place.recorded', {
          time: showTime(l.capturedAt, timezone),
          accuracy: String(Math.round(l.accuracy ?? 0)),
        }));
  const warnings = await locationWarnings(user, visit.id);
  return {
    arrive: line(first('arrive')),
    leave: line(first('leave')),
    warnings: warnings.map((code) => translate(locale, `visits.flag.${code}`)),
  };
}
