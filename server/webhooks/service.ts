/**
 * Webhooks (SPEC §13), the door of this feature: managing endpoints (endpoints.ts), the events and
 * their payloads (events.ts), following the visits' changes (follow.ts), announcing published reports
 * (reports.ts), sending with retries (sender.ts) and endpoint health (health.ts).
 */
export {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listEndpointDeliveries,
  listEndpoints,
  pingEndpoint,
  redeliver,
  updateEndpoint,
  WEBHOOK_ADMINS,
  type DeliveryView,
  type EndpointView,
} from './endpoints';
export { EVENT_TYPES, eventPayloads, PING, pingBody, webhookBody, type EventType } from './events';
export { followVisitChanges } from './follow';
export { announcePublishedReports } from './reports';
export { sendDueDeliveries, settleInFlight } from './sender';
export { purgeSealedBuckets } from './queue';
export { DISABLED_MAIL, finishDisableNotices } from './health';
export { composeDisabledMail } from './disabled-mail';
