import type { RequestHandler } from 'express';
import { inViewerZone } from '../platform/http/viewer-zone';

export { shownZone } from '../platform/http/viewer-zone';

/**
 * The viewer's clock for the pages (issue 20): every time in the bank's zone (the page's
 * `clockZone`, read by the `date` helper; a page about one bank sets its own), or in the zone the
 * viewer chose on their account page. `shownZone` is the one place that decides: the page kit's
 * time helpers (web/local-time.ts, the `date` helper) all ask it, so a time is never shown in one
 * zone on one page and another zone on the next. The bank lookup comes from the page router (the
 * banks feature's cached zones), so the page kit knows no feature.
 */
export function viewerClock(zoneOfBank: (bankId: string) => Promise<string | null>): RequestHandler {
  return (req, res, next) => {
    const own = req.principal?.timezone;
    const go = () => (own ? inViewerZone(own, next) : next());
    const bankId = req.principal?.bankId;
    if (!bankId) return go();
    zoneOfBank(bankId).then((zone) => {
      if (zone) res.locals.clockZone = zone;
      go();
    }, next);
  };
}
