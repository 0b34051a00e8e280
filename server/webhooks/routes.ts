import type { ApiRouter } from '../platform/http/api-router';
import { createEndpointBody, listDeliveriesQuery, updateEndpointBody } from './schema';
import * as webhooks from './service';

export function registerWebhookApi(api: ApiRouter): void {
  const access = webhooks.WEBHOOK_ADMINS;
  api
    .add({
      method: 'post',
      path: '/webhooks',
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
      summary: 'The webhook endpoints (never their secrets)',
      access,
      handler: ({ user }) => webhooks.listEndpoints(user),
    })
    .add({
      method: 'get',
      path: '/webhooks/:webhookId',
      summary: 'One webhook endpoint',
      access,
      handler: ({ user, params }) => webhooks.getEndpoint(user, params.webhookId),
    })
    .add({
      method: 'patch',
      path: '/webhooks/:webhookId',
      summary: 'Change an endpoint (URL, events, description) or enable/disable it',
      access,
      body: updateEndpointBody,
      handler: ({ user, params, body }) => webhooks.updateEndpoint(user, params.webhookId, body),
    })
    .add({
      method: 'delete',
      path: '/webhooks/:webhookId',
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
      summary: 'The delivery log of an endpoint, newest first, with every attempt',
      access,
      query: listDeliveriesQuery,
      handler: ({ user, params, query }) => webhooks.listEndpointDeliveries(user, params.webhookId, query),
    })
    .add({
      method: 'post',
      path: '/webhooks/:webhookId/deliveries/:deliveryId/redeliver',
      summary: 'Send a delivery again (same webhook-id), whatever happened before',
      access,
      status: 202,
      handler: ({ user, params }) => webhooks.redeliver(user, params.webhookId, params.deliveryId),
    })
    .add({
      method: 'post',
      path: '/webhooks/:webhookId/ping',
      summary: 'Send a signed test event (webhook.ping) now and return how the endpoint answered',
      access,
      handler: ({ user, params }) => webhooks.pingEndpoint(user, params.webhookId),
    });
}
