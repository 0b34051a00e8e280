import { z } from 'zod';

/**
 * The webhook events (SPEC §13) and the shape of their payloads, as zod schemas: the OpenAPI
 * document's `webhooks` section is built from these (one entry per type), and the tests check every
 * payload sent against them. Every payload is `{type, timestamp, data}` (Standard Webhooks); `data`
 * names the bank, never an auditor (only the auditor's pseudonym, as banks see it).
 */
export const EVENT_TYPES = [
  'visit.approved',
  'visit.disputed',
  'dispute.resolved',
  'report.published',
  'alert.violation',
  'alert.withdrawn',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
/** Sent by an admin to try an endpoint; never stored as an event of a bank. */
export const PING = 'webhook.ping';

const iso = z.string().datetime({ offset: true });
const bank = z.object({ id: z.string(), code: z.string(), name: z.string() });
const scores = z.object({
  sections: z.record(z.string(), z.number().nullable()),
  total: z.number().nullable(),
});

const visitData = z.object({
  visitId: z.string(),
  bank,
  branchCode: z.string(),
  quarter: z.string(),
  visitedAt: iso,
  /** The auditor's pseudonym (as the bank sees it), never who they are. */
  auditorCode: z.string().nullable(),
  status: z.enum(['approved', 'disputed']),
  scores,
  violations: z.array(z.object({ itemKey: z.string() })),
  /** When the change happened (the time of the visit's history entry). */
  changedAt: iso,
});

export const eventPayloads = {
  'visit.approved': visitData,
  'visit.disputed': visitData.extend({ disputeId: z.string(), itemKey: z.string() }),
  'dispute.resolved': visitData.extend({
    disputeId: z.string(),
    decision: z.enum(['upheld', 'overturned']),
  }),
  'report.published': z.object({
    reportId: z.string(),
    bank,
    quarter: z.string(),
    version: z.number().int(),
    publishedAt: iso,
    files: z.array(z.object({ scope: z.string(), url: z.string() })),
  }),
  'alert.violation': z.object({
    alertId: z.string(),
    visitId: z.string(),
    bank,
    branchCode: z.string(),
    quarter: z.string(),
    visitedAt: iso,
    itemKeys: z.array(z.string()),
    changedAt: iso,
  }),
  'alert.withdrawn': z.object({
    alertId: z.string(),
    visitId: z.string(),
    bank,
    branchCode: z.string(),
    quarter: z.string(),
    visitedAt: iso,
    itemKeys: z.array(z.string()),
    changedAt: iso,
  }),
} as const satisfies Record<EventType, z.ZodTypeAny>;

export type EventData<T extends EventType> = z.infer<(typeof eventPayloads)[T]>;

/** The body of every webhook request. */
export const webhookBody = (type: EventType) =>
  z.object({ type: z.literal(type), timestamp: iso, data: eventPayloads[type] }).strict();

export const pingBody = z
  .object({ type: z.literal(PING), timestamp: iso, data: z.object({ endpointId: z.string(), message: z.string() }) })
  .strict();
