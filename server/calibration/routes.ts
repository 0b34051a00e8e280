import type { EvidenceUpload } from '../evidence/upload';
import { z } from 'zod';
import { files, type ApiRouter } from '../platform/http/api-router';
import { EVIDENCE_TYPES, uploadedFile } from '../platform/http/api-schema';
import {
  createdRoundResponse,
  leniencyResponse,
  roundResponse,
  roundResultsResponse,
  submittedAnswersResponse,
} from './responses';
import { sendDownload } from '../platform/http/download';
import { requireFile } from '../platform/http/uploads';
import { answersBody, createRoundBody, leniencyQuery } from './schema';
import * as cal from './service';

export function registerCalibrationApi(api: ApiRouter): void {
  api
    .tag('Calibration', 'Auditor calibration rounds and field leniency (SPEC §12): admins and reviewers')
    .add({
      method: 'post',
      path: '/calibrations',
      operationId: 'createCalibrationRound',
      response: createdRoundResponse,
      summary: 'Create a calibration round: one written case on a questionnaire version for at least 3 auditors',
      access: cal.ROUND_MANAGERS,
      body: createRoundBody,
      status: 201,
      handler: ({ user, body }) => cal.createRound(user, body),
    })
    .add({
      method: 'get',
      path: '/calibrations',
      operationId: 'listCalibrationRounds',
      response: z.array(roundResponse),
      summary: 'Calibration rounds (an auditor: the rounds they are invited to)',
      access: cal.ROUND_VIEWERS,
      handler: ({ user }) => cal.listRounds(user),
    })
    .add({
      method: 'get',
      path: '/calibrations/:calibrationId',
      operationId: 'getCalibrationRound',
      response: roundResponse,
      summary: 'One calibration round with its case (an auditor: only when invited)',
      access: cal.ROUND_VIEWERS,
      handler: ({ user, params }) => cal.getRound(user, params.calibrationId),
    })
    .add({
      method: 'post',
      path: '/calibrations/:calibrationId/attachments',
      operationId: 'addCalibrationAttachment',
      response: uploadedFile,
      summary: 'Add evidence of the case (admin): multipart field "file"; type checked by content',
      access: cal.ROUND_MANAGERS,
      upload: cal.roundEvidenceUpload(),
      status: 201,
      handler: ({ user, params, req }) =>
        cal.addRoundAttachment(user, params.calibrationId, (requireFile(req) as EvidenceUpload).evidence),
    })
    .add({
      method: 'get',
      path: '/calibrations/:calibrationId/attachments/:attachmentId',
      operationId: 'downloadCalibrationAttachment',
      response: files(...EVIDENCE_TYPES),
      summary: 'Download evidence of the case (whoever may see the round)',
      access: cal.ROUND_VIEWERS,
      produces: ['application/octet-stream'],
      handler: async ({ user, params, res }) =>
        sendDownload(res, await cal.openRoundAttachment(user, params.calibrationId, params.attachmentId)),
    })
    .add({
      method: 'post',
      path: '/calibrations/:calibrationId/answers',
      operationId: 'submitCalibrationAnswers',
      response: submittedAnswersResponse,
      summary: "An invited auditor's answers to the case, once (never a visit; a second post is 409)",
      access: cal.ANSWERERS,
      body: answersBody,
      status: 201,
      handler: ({ user, params, body }) => cal.submitAnswers(user, params.calibrationId, body),
    })
    .add({
      method: 'put',
      path: '/calibrations/:calibrationId/reference',
      operationId: 'setCalibrationReference',
      response: roundResponse,
      summary: 'Set the reference answers of a round (reviewer)',
      access: cal.REFERENCE_SETTERS,
      body: answersBody,
      handler: ({ user, params, body }) => cal.setReference(user, params.calibrationId, body),
    })
    .add({
      method: 'get',
      path: '/calibrations/:calibrationId/results',
      operationId: 'getCalibrationResults',
      response: roundResultsResponse,
      summary: "Krippendorff's alpha (interval), agreement per item, bias per auditor and agreement with the reference",
      access: cal.ROUND_READERS,
      handler: ({ user, params }) => cal.roundResults(user, params.calibrationId),
    })
    .add({
      method: 'get',
      path: '/auditors/leniency',
      operationId: 'listAuditorLeniency',
      response: z.array(leniencyResponse),
      summary: 'Field leniency per auditor in a quarter, flagged when |leniency| > 10 over at least 5 visits',
      access: cal.ROUND_READERS,
      query: leniencyQuery,
      handler: ({ user, query }) => cal.auditorLeniency(user, query.quarter),
    });
}
