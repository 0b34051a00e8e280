import type { ApiRouter } from '../platform/http/api-router';
import { createPlanBody, listPlansQuery, updatePlanBody } from './schema';
import * as plans from './service';

export function registerActionPlanApi(api: ApiRouter): void {
  api
    .add({
      method: 'post',
      path: '/action-plans',
      summary: 'Record a corrective action for a key problem (bank, region or branch) or a violation (visit + item)',
      access: plans.PLAN_WRITERS,
      body: createPlanBody,
      status: 201,
      handler: ({ user, body }) => plans.createPlan(user, body),
    })
    .add({
      method: 'get',
      path: '/action-plans',
      summary:
        "List action plans in the caller's scope, each with its outcome (item failure rate in its quarter and the next)",
      access: plans.PLAN_READERS,
      query: listPlansQuery,
      handler: ({ user, query }) => plans.listPlans(user, query),
    })
    .add({
      method: 'get',
      path: '/action-plans/:planId',
      summary: 'Get an action plan',
      access: plans.PLAN_READERS,
      handler: ({ user, params }) => plans.getPlan(user, params.planId),
    })
    .add({
      method: 'patch',
      path: '/action-plans/:planId',
      summary:
        'Mark an action plan done (or reopen it) or change its action, owner or due date; optional rev guards against stale edits',
      access: plans.PLAN_WRITERS,
      body: updatePlanBody,
      handler: ({ user, params, body }) => plans.updatePlan(user, params.planId, body),
    });
}
