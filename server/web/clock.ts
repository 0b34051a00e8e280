import type { RequestHandler } from 'express';

/**
 * The viewer's clock for the pages: a bank user sees every time in their bank's zone (the page's
 * `clockZone`, read by the `date` helper); a page about one bank sets its own. The lookup comes from
 * the page router (the banks feature's cached zones), so the page kit knows no feature.
 */
export function viewerClock(zoneOfBank: (bankId: string) => Promise<string | null>): RequestHandler {
  return (req, res, next) => {
    const bankId = req.principal?.bankId;
    if (!bankId) return next();
    zoneOfBank(bankId).then((zone) => {
      if (zone) res.locals.clockZone = zone;
      next();
    }, next);
  };
}
