import zlib from 'node:zlib';
import { pngChunk } from '../../seed/evidence-image';
import type { Express } from 'express';
import { DateTime } from 'luxon';
import request from 'supertest';
import { demoQuestionnaireBody } from '../../seed/questionnaire';
import { DEFAULT_TIMEZONE, quarterOf } from '../../server/rules/quarters';
import { bearer } from './app';
import { insertQuestionnaire, SECTIONS, VisitWorld, windowAroundNow, type Actor } from './visits';

/**
 * The world of the visit page tests: two banks, an auditor with assignments on the seed's
 * questionnaire and on the small test questionnaire, a second auditor, a reviewer, bank users.
 */
export interface PagesWorld {
  w: VisitWorld;
  bankId: string;
  otherBankId: string;
  seedQuestionnaireId: string;
  smallQuestionnaireId: string;
  auditor: Actor & { email: string };
  auditor2: Actor & { email: string };
  reviewer: Actor & { email: string };
  manager: Actor & { email: string };
  otherManager: Actor & { email: string };
}

export async function pagesWorld(app: Express, prefix: string): Promise<PagesWorld> {
  const w = await VisitWorld.create(app);
  const bankId = await w.bank(`${prefix}1`);
  const otherBankId = await w.bank(`${prefix}2`);
  await w.branch(bankId, 'N1', 'North');
  await w.branch(bankId, 'S1', 'South');
  await w.branch(otherBankId, 'Z1', 'Zed');
  await w.staff(bankId, 'E1', 'N1');
  await w.staff(bankId, 'E2', 'N1');
  const res = await request(app)
    .post('/api/v1/questionnaires')
    .set(bearer(w.adminToken))
    .send(demoQuestionnaireBody(bankId));
  if (res.status !== 201) throw new Error(`seed questionnaire: ${res.status} ${JSON.stringify(res.body)}`);
  const smallQuestionnaireId = await insertQuestionnaire(bankId, [SECTIONS], '小问卷');
  const user = async (email: string, role: string, extra: Record<string, unknown> = {}) => ({
    ...(await w.user(email, role, extra)),
    email,
  });
  return {
    w,
    bankId,
    otherBankId,
    seedQuestionnaireId: res.body.id as string,
    smallQuestionnaireId,
    auditor: await user(`aud@${prefix}.test`, 'auditor'),
    auditor2: await user(`aud2@${prefix}.test`, 'auditor'),
    reviewer: await user(`rev@${prefix}.test`, 'reviewer'),
    manager: await user(`mgr@${prefix}.test`, 'bank_manager', { bankId, scope: { type: 'bank' } }),
    otherManager: await user(`other@${prefix}.test`, 'bank_manager', { bankId: otherBankId, scope: { type: 'bank' } }),
  };
}

/**
 * A draft visit the auditor opened ten minutes ago on the small questionnaire, nothing answered yet
 * (the start of the phone tests: visit form, location, offline, resumable uploads).
 */
export async function draftOnPhone(
  app: Express,
  pw: PagesWorld,
  spec: { branchCode: string; scenario: string },
): Promise<{ visitId: string; assignmentId: string }> {
  const visitedAt = new Date(Date.now() - 10 * 60_000);
  const assignmentId = await pw.w.assignment({
    bankId: pw.bankId,
    branchCode: spec.branchCode,
    auditorId: pw.auditor.id,
    questionnaireId: pw.smallQuestionnaireId,
    quarter: quarterOf(visitedAt, DEFAULT_TIMEZONE),
    ...windowAroundNow(),
    scenario: spec.scenario,
  });
  const res = await request(app)
    .post('/api/v1/visits')
    .set(bearer(pw.auditor.token))
    .send({ assignmentId, visitedAt: visitedAt.toISOString(), durationMinutes: 20 });
  expect(res.status).toBe(201);
  return { visitId: res.body.id as string, assignmentId };
}

export async function assign(
  pw: PagesWorld,
  who: Actor,
  branchCode: string,
  questionnaireId: string,
  scenario: string,
): Promise<string> {
  return pw.w.assignment({
    bankId: pw.bankId,
    branchCode,
    auditorId: who.id,
    questionnaireId,
    quarter: '2026-Q3',
    ...windowAroundNow(),
    scenario,
  });
}

/** A time some hours ago as a `datetime-local` value in Shanghai, and the same instant as UTC ISO. */
export function localHoursAgo(hours: number): { local: string; iso: string } {
  const dt = DateTime.now().setZone('Asia/Shanghai').minus({ hours }).startOf('minute');
  return { local: dt.toFormat("yyyy-MM-dd'T'HH:mm"), iso: dt.toUTC().toISO() as string };
}

// ---- a real image, made here so that the tests need no binary fixtures ----

/** A valid RGB PNG of the given size: a colour gradient, so two different seeds give two different files. */
export function pngImage(width = 48, height = 32, seed = 0): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++)
      row.set([(x * 5 + seed) & 0xff, (y * 7) & 0xff, (120 + seed * 3) & 0xff], 1 + x * 3);
    rows.push(row);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    pngChunk('IHDR', header),
    pngChunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
