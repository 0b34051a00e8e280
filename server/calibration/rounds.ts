import { Types } from 'mongoose';
import { requireRole, type Principal, type Role } from '../platform/access';
import { NotFoundError } from '../platform/errors';
import type { Answer } from '../rules/scoring';
import { CalibrationRound } from './model';

/** Who may do what with calibration rounds (SPEC §12), and reading one round as the caller may. */
export const ROUND_MANAGERS: readonly Role[] = ['admin'];
export const ROUND_READERS: readonly Role[] = ['admin', 'reviewer'];
export const ROUND_VIEWERS: readonly Role[] = ['admin', 'reviewer', 'auditor'];
export const REFERENCE_SETTERS: readonly Role[] = ['reviewer'];
export const ANSWERERS: readonly Role[] = ['auditor'];

export type LeanRound = {
  _id: Types.ObjectId;
  bankId: Types.ObjectId;
  questionnaireId: Types.ObjectId;
  version: number;
  title: string;
  caseText: string;
  auditorIds: Types.ObjectId[];
  dueAt?: Date | null;
  reference?: Answer[] | null;
  attachments?: { _id: Types.ObjectId; filename: string; contentType: string; size: number; sha256: string }[];
  createdAt: Date;
};

export const isId = (s: string) => Types.ObjectId.isValid(s) && String(new Types.ObjectId(s)) === s.toLowerCase();
export const invited = (r: LeanRound, userId: string) => r.auditorIds.some((a) => String(a) === userId);
export const sheetKey = (roundId: string, auditorId: string) => `${roundId}|${auditorId}`;

/** The round if the caller may see it: admins and reviewers all, an auditor only when invited; else 404. */
export async function visibleRound(p: Principal, id: string): Promise<LeanRound> {
  requireRole(p, ROUND_VIEWERS);
  const r = isId(id) ? ((await CalibrationRound.findById(id).lean()) as LeanRound | null) : null;
  if (!r || (p.role === 'auditor' && !invited(r, p.id))) throw new NotFoundError('Calibration round');
  return r;
}
