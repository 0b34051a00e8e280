import { z } from 'zod';
import { component, out } from '../platform/http/api-schema';

const endpointShape = {
  id: out.id,
  url: z.string(),
  bankId: out.id
    .nullable()
    .openapi({ description: "The bank whose events it gets; null: the audit firm's (all banks)" }),
  events: z.array(z.string()),
  description: z.string(),
  status: z.enum(['enabled', 'disabled']),
  failingSince: out.time.nullable(),
  disabledAt: out.time.nullable(),
  disabledReason: z.string().nullable(),
  createdAt: out.time,
};

export const endpointResponse = component('WebhookEndpoint', z.object(endpointShape));

export const createdEndpointResponse = component(
  'CreatedWebhookEndpoint',
  z.object({ ...endpointShape, secret: z.string().openapi({ description: 'whsec_…, shown only here' }) }),
);

export const deletedEndpointResponse = component(
  'DeletedWebhookEndpoint',
  z.object({ ...endpointShape, deleted: z.literal(true) }),
);

export const deliveryResponse = component(
  'WebhookDelivery',
  z.object({
    id: z.string(),
    eventId: z.string().openapi({ description: 'The webhook-id header: the same on every attempt' }),
    type: z.string(),
    attempts: z.number().int(),
    status: z.enum(['pending', 'delivered', 'failed']),
    lastStatusCode: z.number().int().optional(),
    lastError: z.string().optional(),
    nextAttemptAt: out.time.optional(),
    deliveredAt: out.time.optional(),
    createdAt: out.time,
    history: z.array(
      z.object({
        at: out.time,
        kind: z.string(),
        ok: z.boolean(),
        statusCode: z.number().int().optional(),
        error: z.string().optional(),
        ms: z.number(),
      }),
    ),
  }),
);

export const queuedResponse = component('Queued', z.object({ status: z.literal('queued') }));

export const pingResponse = component(
  'WebhookPing',
  z.object({
    ok: z.boolean(),
    statusCode: z.number().int().optional(),
    error: z.string().optional(),
    ms: z.number(),
    eventId: z.string(),
  }),
);
