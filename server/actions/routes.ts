import type { ApiRouter } from '../platform/http/api-router';
import { createPlanBody, listPlansQuery, updatePlanBody } from './schema';
import * as plans from './service';
import { planResponse } from './responses';
import { z } from 'zod';

export function registerActionPlanApi(api: ApiRouter): void {
  api
    .tag('Action plans', 'Corrective actions for key problems and violations, with their outcome')
    .add({
      method: 'post',
      path: '/action-plans',
      operationId: 'createActionPlan',
      response: planResponse,
      errors: [404],
      summary: 'Record a corrective action for a key problem (bank, region or branch) or a violation (visit + item)',
      access: plans.PLAN_WRITERS,
      body: createPlanBody,
      status: 201,
      handler: ({ user, body }) => plans.createPlan(user, body),
    })
    .add({
      method: 'get',
      path: '/action-plans',
      operationId: 'listActionPlans',
      response: z.array(planResponse),
      errors: [404],
      summary:
        "List action plans in the caller's scope, each with its outcome (item failure rate in its quarter and the next)",
      access: plans.PLAN_READERS,
      query: listPlansQuery,
      handler: ({ user, query }) => plans.listPlans(user, query),
    })
    .add({
      method: 'get',
      path: '/action-plans/:planId',
      operationId: 'getActionPlan',
      response: planResponse,
      summary: 'Get an action plan',
      access: plans.PLAN_READERS,
      handler: ({ user, params }) => plans.getPlan(user, params.planId),
    })
    .add({
      method: 'patch',
      path: '/action-plans/:planId',
      operationId: 'updateActionPlan',
      response: planResponse,
      errors: [409],
      summary:
        'Mark an action plan done (or reopen it) or change its action, owner or due date; optional rev guards against stale edits',
      access: plans.PLAN_WRITERS,
      body: updatePlanBody,
      handler: ({ user, params, body }) => plans.updatePlan(user, params.planId, body),
    });
}
