import type { ApiRouter } from '../platform/http/api-router';
import { createQuestionnaireBody, listQuestionnairesQuery, updateQuestionnaireBody } from './schema';
import * as questionnaires from './service';
import { questionnaireCreated, questionnaireSummary, questionnaireVersion, versionSummary } from './responses';
import { z } from 'zod';

const ADMIN = ['admin'] as const;
// Who may read is cut further in the service: auditors to their assignments' questionnaires, bank users to their bank.
const READERS = ['admin', 'reviewer', 'auditor', 'bank_manager', 'hr'] as const;

export function registerQuestionnaireApi(api: ApiRouter): void {
  api
    .tag('Questionnaires', 'Versioned scored questionnaires of a bank (SPEC §3)')
    .add({
      method: 'get',
      path: '/questionnaires',
      operationId: 'listQuestionnaires',
      response: z.array(questionnaireSummary),
      errors: [404],
      summary: 'List questionnaires the caller may see',
      access: READERS,
      query: listQuestionnairesQuery,
      handler: ({ user, query }) => questionnaires.listQuestionnaires(user, query),
    })
    .add({
      method: 'post',
      path: '/questionnaires',
      operationId: 'createQuestionnaire',
      response: questionnaireCreated,
      summary: 'Create a questionnaire (version 1)',
      access: ADMIN,
      body: createQuestionnaireBody,
      status: 201,
      handler: ({ user, body }) => questionnaires.createQuestionnaire(user, body),
    })
    .add({
      method: 'get',
      path: '/questionnaires/:id',
      operationId: 'getQuestionnaire',
      response: questionnaireVersion,
      summary: 'Get the latest version of a questionnaire',
      access: READERS,
      handler: ({ user, params }) => questionnaires.getQuestionnaire(user, params.id),
    })
    .add({
      method: 'put',
      path: '/questionnaires/:id',
      operationId: 'updateQuestionnaire',
      response: questionnaireCreated,
      summary: 'Edit a questionnaire (saves a new version)',
      access: ADMIN,
      body: updateQuestionnaireBody,
      handler: ({ user, params, body }) => questionnaires.updateQuestionnaire(user, params.id, body),
    })
    .add({
      method: 'get',
      path: '/questionnaires/:id/versions',
      operationId: 'listQuestionnaireVersions',
      response: z.array(versionSummary),
      summary: 'List the versions of a questionnaire',
      access: READERS,
      handler: ({ user, params }) => questionnaires.listVersions(user, params.id),
    })
    .add({
      method: 'get',
      path: '/questionnaires/:id/versions/:version',
      operationId: 'getQuestionnaireVersion',
      response: questionnaireVersion,
      summary: 'Get one version of a questionnaire',
      access: READERS,
      handler: ({ user, params }) => questionnaires.getQuestionnaireVersion(user, params.id, params.version),
    });
}
