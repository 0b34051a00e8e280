import { Types } from 'mongoose';
import { bankExists } from '../banks/service';
import { requireRole, type Principal, type Role } from '../platform/access';
import { config } from '../platform/config';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { workQueued } from '../platform/jobs/wakeup';
import { PING } from './events';
import { postJson, type PostResult } from './http-post';
import { WebhookDelivery, WebhookEndpoint, type DeliveryDoc, type EndpointDoc } from './model';
import { enqueue } from './queue';
import { forgetEndpoints } from './publish';
import type { CreateEndpointInput, ListDeliveriesQuery, UpdateEndpointInput } from './schema';
import { newSecret, openSecret, sealSecret, signedHeaders } from './secrets';
import { forgetSenderEndpoint } from './sender';

/** Managing endpoints and reading their deliveries: admins only (SPEC §13). The secret is shown once. */
export const WEBHOOK_ADMINS: readonly Role[] = ['admin'];

export interface EndpointView {
  id: string;
  url: string;
  bankId: string | null;
  events: string[];
  description: string;
  status: 'enabled' | 'disabled';
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
  createdAt: string;
}

export interface DeliveryView {
  id: string;
  eventId: string;
  type: string;
  attempts: number;
  status: 'pending' | 'delivered' | 'failed';
  lastStatusCode?: number;
  lastError?: string;
  nextAttemptAt?: string;
  deliveredAt?: string;
  createdAt: string;
  history: { at: string; kind: string; ok: boolean; statusCode?: number; error?: string; ms: number }[];
}

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

export function endpointView(e: EndpointDoc): EndpointView {
  return {
    id: String(e._id),
    url: e.url,
    bankId: e.bankId ? String(e.bankId) : null,
    events: e.events,
    description: e.description ?? '',
    status: e.status as EndpointView['status'],
    failingSince: iso(e.failingSince),
    disabledAt: iso(e.disabledAt),
    disabledReason: e.disabledReason ?? null,
    createdAt: e.createdAt.toISOString(),
  };
}

export function deliveryView(d: DeliveryDoc): DeliveryView {
  const pending = d.status === 'pending' || d.status === 'sending';
  return {
    id: String(d._id),
    eventId: d.eventId,
    type: d.type,
    attempts: d.attempts.length,
    status: pending ? 'pending' : (d.status as DeliveryView['status']),
    ...(d.lastStatusCode ? { lastStatusCode: d.lastStatusCode } : {}),
    ...(d.lastError ? { lastError: d.lastError } : {}),
    ...(pending ? { nextAttemptAt: d.nextAttemptAt.toISOString() } : {}),
    ...(d.deliveredAt ? { deliveredAt: d.deliveredAt.toISOString() } : {}),
    createdAt: d.createdAt.toISOString(),
    history: d.attempts.map((a) => ({
      at: a.at.toISOString(),
      kind: a.kind,
      ok: a.ok,
      ms: a.ms,
      ...(a.statusCode ? { statusCode: a.statusCode } : {}),
      ...(a.error ? { error: a.error } : {}),
    })),
  };
}

function forget(): void {
  forgetEndpoints();
  forgetSenderEndpoint();
}

async function loadEndpoint(id: string): Promise<EndpointDoc> {
  if (!Types.ObjectId.isValid(id)) throw new NotFoundError('Webhook');
  const e = await WebhookEndpoint.findOne({ _id: id, deletedAt: null }).lean<EndpointDoc>();
  if (!e) throw new NotFoundError('Webhook');
  return e;
}

/** A new endpoint and its secret (returned only here). */
export async function createEndpoint(p: Principal, input: CreateEndpointInput) {
  requireRole(p, WEBHOOK_ADMINS);
  if (input.bankId && !(await bankExists(input.bankId)))
    throw new ValidationError([{ field: 'bankId', message: 'no such bank' }]);
  const secret = newSecret();
  const doc = await WebhookEndpoint.create({
    url: input.url,
    bankId: input.bankId ?? null,
    events: [...new Set(input.events)],
    description: input.description ?? '',
    status: 'enabled',
    secretSealed: sealSecret(secret),
    createdBy: new Types.ObjectId(p.id),
  });
  forget();
  return { ...endpointView(doc.toObject() as EndpointDoc), secret };
}

export async function listEndpoints(p: Principal): Promise<EndpointView[]> {
  requireRole(p, WEBHOOK_ADMINS);
  const rows = await WebhookEndpoint.find({ deletedAt: null }).sort({ createdAt: -1 }).lean<EndpointDoc[]>();
  return rows.map(endpointView);
}

export async function getEndpoint(p: Principal, id: string): Promise<EndpointView> {
  requireRole(p, WEBHOOK_ADMINS);
  return endpointView(await loadEndpoint(id));
}

export async function updateEndpoint(p: Principal, id: string, input: UpdateEndpointInput): Promise<EndpointView> {
  requireRole(p, WEBHOOK_ADMINS);
  await loadEndpoint(id);
  const set: Record<string, unknown> = {};
  if (input.url !== undefined) set.url = input.url;
  if (input.events !== undefined) set.events = [...new Set(input.events)];
  if (input.description !== undefined) set.description = input.description;
  if (input.enabled === true) Object.assign(set, { status: 'enabled', failingSince: null, disabledReason: null });
  if (input.enabled === false)
    Object.assign(set, { status: 'disabled', disabledAt: new Date(), disabledReason: `disabled by ${p.email}` });
  const e = await WebhookEndpoint.findOneAndUpdate(
    { _id: id, deletedAt: null },
    { $set: set },
    { new: true },
  ).lean<EndpointDoc>();
  if (!e) throw new NotFoundError('Webhook');
  forget();
  if (input.enabled === true) await requeueOpen(e);
  return endpointView(e);
}

/**
 * An endpoint enabled again: its open deliveries are queued now (the sender had put their entries
 * aside for a while). Read by endpoint: an admin's action, not the sending path.
 */
async function requeueOpen(e: EndpointDoc): Promise<void> {
  const open = await WebhookDelivery.find(
    { endpointId: e._id, status: { $in: ['pending', 'sending'] } },
    { orderKey: 1, position: 1, nextKind: 1 },
  ).lean();
  const entries = open.map((d) => ({
    d: d._id,
    e: String(e._id),
    k: d.orderKey,
    p: d.position,
    ...(d.nextKind === 'redeliver' ? { r: 1 } : {}),
  }));
  await enqueue(entries, new Date());
  workQueued();
}

/** Deleting stops every delivery to it; its log stays for the record. */
export async function deleteEndpoint(p: Principal, id: string): Promise<void> {
  requireRole(p, WEBHOOK_ADMINS);
  await loadEndpoint(id);
  await WebhookEndpoint.updateOne({ _id: id }, { $set: { deletedAt: new Date(), status: 'disabled' } });
  forget();
}

export async function listEndpointDeliveries(p: Principal, id: string, q: ListDeliveriesQuery = {}) {
  requireRole(p, WEBHOOK_ADMINS);
  const e = await loadEndpoint(id);
  const status = q.status === 'pending' ? { $in: ['pending', 'sending'] } : q.status;
  const rows = await WebhookDelivery.find({ endpointId: e._id, ...(status ? { status } : {}) })
    .sort({ createdAt: -1, _id: -1 })
    .limit(q.limit ?? 200)
    .lean<DeliveryDoc[]>();
  return rows.map(deliveryView);
}

/** Sends the delivery again, with the same webhook-id, whatever happened before (202). */
export async function redeliver(p: Principal, id: string, deliveryId: string): Promise<{ status: 'queued' }> {
  requireRole(p, WEBHOOK_ADMINS);
  const e = await loadEndpoint(id);
  const d = await WebhookDelivery.findById(deliveryId, { status: 1, endpointId: 1, orderKey: 1, position: 1 }).lean();
  if (!d || String(d.endpointId) !== String(e._id)) throw new NotFoundError('Delivery');
  const now = new Date();
  const r = await WebhookDelivery.updateOne(
    { _id: d._id, status: { $in: ['pending', 'delivered', 'failed'] } },
    { $set: { status: 'pending', nextKind: 'redeliver', tries: 0, nextAttemptAt: now, lockedBy: null } },
  );
  if (r.matchedCount !== 1) throw new ConflictError('This delivery is being sent right now', 'delivery_in_progress');
  await enqueue([{ d: d._id, e: String(d.endpointId), k: d.orderKey, p: d.position, r: 1 }], now);
  workQueued();
  return { status: 'queued' };
}

/** A signed test ping, sent now (not stored as an event); the answer is returned as it came. */
export async function pingEndpoint(p: Principal, id: string): Promise<PostResult & { eventId: string }> {
  requireRole(p, WEBHOOK_ADMINS);
  const e = await loadEndpoint(id);
  const eventId = `ping_${new Types.ObjectId().toHexString()}`;
  const body = JSON.stringify({
    type: PING,
    timestamp: new Date().toISOString(),
    data: { endpointId: String(e._id), message: 'Test ping from the mystery-shopper platform' },
  });
  const headers = signedHeaders(openSecret(e.secretSealed), eventId, body);
  return { ...(await postJson(e.url, headers, body, config().WEBHOOK_TIMEOUT_MS)), eventId };
}
