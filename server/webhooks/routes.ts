import { z } from 'zod';
import type { ApiRouter } from '../platform/http/api-router';
import {
  createdEndpointResponse,
  deletedEndpointResponse,
  deliveryResponse,
  endpointResponse,
  pingResponse,
  queuedResponse,
} from './responses';
import { createEndpointBody, listDeliveriesQuery, updateEndpointBody } from './schema';
import { EVENT_TYPES, webhookBody } from './events';
import * as webhooks from './service';

/** `visit.approved` → `visitApproved`: the operation name of an event in the document's `webhooks`. */
const eventOperation = (type: string) => type.replace(/\.(\w)/g, (_m, c: string) => c.toUpperCase());

export function registerWebhookApi(api: ApiRouter): void {
  const access = webhooks.WEBHOOK_ADMINS;
  for (const type of EVENT_TYPES)
    api.webhook({
      name: type,
      operationId: eventOperation(type),
      summary: `The ${type} event, POSTed with webhook-id, webhook-timestamp and webhook-signature (v1, HMAC-SHA256)`,
      tag: 'Webhooks',
      body: webhookBody(type),
    });
  api
    .tag(
      'Webhooks',
      "Signed event deliveries to the banks' and the audit firm's own systems (Standard Webhooks, SPEC §13)",
    )
    .add({
      method: 'post',
      path: '/webhooks',
      operationId: 'createWebhookEndpoint',
      response: createdEndpointResponse,
      summary:
        'Add a webhook endpoint of one bank (bankId) or of the audit firm (no bankId); the signing secret (whsec_…) is returned only here',
      access,
      body: createEndpointBody,
      status: 201,
      handler: ({ user, body }) => webhooks.createEndpoint(user, body),
    })
    .add({
      method: 'get',
      path: '/webhooks',
      operationId: 'listWebhookEndpoints',
      response: z.array(endpointResponse),
      summary: 'The webhook endpoints (never their secrets)',
      access,
      handler: ({ user }) => webhooks.listEndpoints(user),
    })
    .add({
      method: 'get',
      path: '/webhooks/:webhookId',
      operationId: 'getWebhookEndpoint',
      response: endpointResponse,
      summary: 'One webhook endpoint',
      access,
      handler: ({ user, params }) => webhooks.getEndpoint(user, params.webhookId),
    })
    .add({
      method: 'patch',
      path: '/webhooks/:webhookId',
      operationId: 'updateWebhookEndpoint',
      response: endpointResponse,
      summary: 'Change an endpoint (URL, events, description) or enable/disable it',
      access,
      body: updateEndpointBody,
      handler: ({ user, params, body }) => webhooks.updateEndpoint(user, params.webhookId, body),
    })
    .add({
      method: 'delete',
      path: '/webhooks/:webhookId',
      operationId: 'deleteWebhookEndpoint',
      response: deletedEndpointResponse,
      summary: 'Delete an endpoint: nothing more is sent to it; its delivery log is kept',
      access,
      handler: async ({ user, params }) => {
        const before = await webhooks.getEndpoint(user, params.webhookId);
        await webhooks.deleteEndpoint(user, params.webhookId);
        return { ...before, status: 'disabled' as const, deleted: true };
      },
    })
    .add({
      method: 'get',
      path: '/webhooks/:webhookId/deliveries',
      operationId: 'listWebhookDeliveries',
      response: z.array(deliveryResponse),
      summary: 'The delivery log of an endpoint, newest first, with every attempt',
      access,
      query: listDeliveriesQuery,
      handler: ({ user, params, query }) => webhooks.listEndpointDeliveries(user, params.webhookId, query),
    })
    .add({
      method: 'post',
      path: '/webhooks/:webhookId/deliveries/:deliveryId/redeliver',
      operationId: 'redeliverWebhook',
      response: queuedResponse,
      summary: 'Send a delivery again (same webhook-id), whatever happened before',
      access,
      status: 202,
      handler: ({ user, params }) => webhooks.redeliver(user, params.webhookId, params.deliveryId),
    })
    .add({
      method: 'post',
      path: '/webhooks/:webhookId/ping',
      operationId: 'pingWebhookEndpoint',
      response: pingResponse,
      summary: 'Send a signed test event (webhook.ping) now and return how the endpoint answered',
      access,
      handler: ({ user, params }) => webhooks.pingEndpoint(user, params.webhookId),
    });
}
