import crypto from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import type { Role } from '../../server/platform/access';
import { startAppWorkers } from '../../server/jobs';
import { Report } from '../../server/publishing/model';
import { ADMIN, bearer, tokenFor } from './app';
import { ANSWERS, SECTIONS } from './visits';

/**
 * One fixture "world" for the security tests, built only through the JSON API: two banks, users of
 * every role and scope, and visits, disputes, action plans, HR links and reports in several states,
 * each placed so that it is inside some callers' bank or scope and outside others'.
 *
 *   bank A (WA): North = WAN1, WAN2; South = WAS1, WAS2; staff EAN1 @WAN1, EAN2 @WAN2, EAS1 @WAS1
 *   bank B (WB): East = WBE1; West = WBW1; staff EBE1 @WBE1
 *
 * Three "places" name where a resource lies, from the point of view of bank A's users:
 *   own   = bank A, branch WAN1 (region North), auditor's — inside every bank-A scope
 *   other = bank B, branch WBE1, auditor's — another bank for every bank-A user
 *   out   = bank A, branch WAS1 (region South), auditor2's — outside the North and [WAN1] scopes
 */
export const PASSWORD = 'World-test-pass-1';
export const QUARTER_OF = (d: Date, tz = 'Asia/Shanghai'): string => {
  const local = new Date(d.toLocaleString('en-US', { timeZone: tz }));
  return `${local.getFullYear()}-Q${Math.floor(local.getMonth() / 3) + 1}`;
};

export type BankKey = 'A' | 'B';
export type PlaceKey = 'own' | 'other' | 'out';
export type PrincipalKey =
  'admin' | 'auditor' | 'auditor2' | 'reviewer' | 'managerA' | 'regionA' | 'branchesA' | 'hrA' | 'managerB' | 'hrB';
export const PRINCIPALS: readonly PrincipalKey[] = [
  'admin',
  'auditor',
  'auditor2',
  'reviewer',
  'managerA',
  'regionA',
  'branchesA',
  'hrA',
  'managerB',
  'hrB',
];

export type ScopeModel =
  { type: 'bank' } | { type: 'region'; region: string } | { type: 'branches'; branchCodes: string[] };

/** A caller, with what the authorization rules need to know about them. */
export interface Who {
  key: PrincipalKey;
  role: Role;
  id: string;
  email: string;
  token: string;
  bank?: BankKey;
  scope?: ScopeModel;
}

export interface Place {
  key: PlaceKey;
  bank: BankKey;
  region: string;
  branch: string;
  staff: string;
  /** The auditor whose assignments and visits lie here. */
  owner: 'auditor' | 'auditor2';
}

export const PLACES: Record<PlaceKey, Omit<Place, 'key'>> = {
  own: { bank: 'A', region: 'North', branch: 'WAN1', staff: 'EAN1', owner: 'auditor' },
  other: { bank: 'B', region: 'East', branch: 'WBE1', staff: 'EBE1', owner: 'auditor' },
  out: { bank: 'A', region: 'South', branch: 'WAS1', staff: 'EAS1', owner: 'auditor2' },
};
export const place = (k: PlaceKey): Place => ({ key: k, ...PLACES[k] });

interface BankSpec {
  code: string;
  regions: Record<string, string[]>;
  staff: [employeeId: string, branchCode: string][];
}
export const BANKS: Record<BankKey, BankSpec> = {
  A: {
    code: 'WA',
    regions: { North: ['WAN1', 'WAN2'], South: ['WAS1', 'WAS2'] },
    staff: [
      ['EAN1', 'WAN1'],
      ['EAN2', 'WAN2'],
      ['EAS1', 'WAS1'],
    ],
  },
  B: { code: 'WB', regions: { East: ['WBE1'], West: ['WBW1'] }, staff: [['EBE1', 'WBE1']] },
};

export interface VisitRef {
  id: string;
  assignmentId: string;
  attachmentId?: string;
}
export interface DisputeRef {
  id: string;
  visitId: string;
  attachmentId: string;
}

export interface World {
  app: Express;
  quarter: string;
  bankId: Record<BankKey, string>;
  questionnaireId: Record<BankKey, string>;
  who: Record<PrincipalKey, Who>;
  /** A user nobody signs in as in the matrix, for routes that change or use up a user. */
  spare: { id: string; email: string; password: string };
  /** Per place: a draft, a submitted and an approved (then disputed) visit; the approved one has an attachment. */
  draft: Record<PlaceKey, VisitRef>;
  submitted: Record<PlaceKey, VisitRef>;
  approved: Record<PlaceKey, VisitRef>;
  /** An open dispute (with an evidence file) on each approved visit. */
  dispute: Record<PlaceKey, DisputeRef>;
  /** A branch-level action plan at each place. */
  plan: Record<PlaceKey, string>;
  /** HR review links (bank A's on EAN1, bank B's on EBE1). */
  hrReview: Record<BankKey, string>;
  /** A ready report of the closed quarter per bank, or null when reports were not built. */
  report: Record<BankKey, string> | null;
  fresh: Fresh;
  /** Item keys not yet disputed on a visit (each dispute needs its own item). */
  nextItem(visitId: string): string;
}

export interface Fresh {
  assignment(at: PlaceKey): Promise<string>;
  draft(at: PlaceKey): Promise<VisitRef>;
  submitted(at: PlaceKey): Promise<VisitRef>;
  /** A new attachment on the place's world draft. */
  attachment(at: PlaceKey): Promise<{ visitId: string; attachmentId: string }>;
  /** A new open dispute on the place's approved visit. */
  dispute(at: PlaceKey): Promise<string>;
}

/** A tiny but real PNG (signature and IHDR), enough for the content check. */
export const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('0000000d49484452000000010000000108060000001f15c489', 'hex'),
  Buffer.alloc(64, 0),
]);

/** A PNG with unique trailing bytes: identical files on two visits would flag both (and race their other changes). */
export const uniquePng = (): Buffer => Buffer.concat([PNG, crypto.randomBytes(16)]);

const ITEM_KEYS = SECTIONS.flatMap((s) => s.items.map((i) => i.key));

async function expect2xx(res: request.Response, what: string): Promise<Record<string, any>> {
  if (res.status < 200 || res.status > 299) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, any>;
}

export interface WorldOptions {
  /** Close the quarter of both banks with a background worker (takes a few seconds of PDF rendering). */
  reports?: boolean;
}

export async function buildWorld(app: Express, options: WorldOptions = {}): Promise<World> {
  const adminToken = await tokenFor(app, ADMIN.email, ADMIN.password);
  const call = (token: string) => ({
    post: async (path: string, body: object, what = `POST ${path}`) =>
      expect2xx(await request(app).post(`/api/v1${path}`).set(bearer(token)).send(body), what),
    get: async (path: string) => expect2xx(await request(app).get(`/api/v1${path}`).set(bearer(token)), `GET ${path}`),
    upload: async (path: string, file: Buffer, filename: string) =>
      expect2xx(
        await request(app).post(`/api/v1${path}`).set(bearer(token)).attach('file', file, filename),
        `upload ${path}`,
      ),
  });
  const admin = call(adminToken);

  // ---- banks, branches, staff, questionnaires (the two banks in parallel)
  const bankId = {} as Record<BankKey, string>;
  const questionnaireId = {} as Record<BankKey, string>;
  await Promise.all(
    (['A', 'B'] as const).map(async (k) => {
      const b = BANKS[k];
      bankId[k] = (
        await admin.post('/banks', {
          code: b.code,
          name: `世界银行 ${k}`,
          reportRecipients: [`head@${b.code.toLowerCase()}.example.cn`],
        })
      ).id;
      await Promise.all(
        Object.entries(b.regions).flatMap(([region, codes]) =>
          codes.map((code) => admin.post(`/banks/${bankId[k]}/branches`, { code, name: `支行 ${code}`, region })),
        ),
      );
      await Promise.all(
        b.staff.map(([employeeId, branchCode]) =>
          admin.post(`/banks/${bankId[k]}/staff`, { employeeId, name: `员工 ${employeeId}`, branchCode }),
        ),
      );
      const sections = SECTIONS.map((s) => ({
        ...s,
        items: s.items.map((i) => ({ ...i, text: { zh: `题目 ${i.key}`, en: `Item ${i.key}` } })),
      }));
      questionnaireId[k] = (await admin.post('/questionnaires', { bankId: bankId[k], name: `问卷 ${k}`, sections })).id;
    }),
  );

  // ---- users of every role and scope (password hashing dominates; run them together)
  const specs: Record<PrincipalKey | 'spare', { role: Role; bank?: BankKey; scope?: ScopeModel }> = {
    admin: { role: 'admin' },
    auditor: { role: 'auditor' },
    auditor2: { role: 'auditor' },
    reviewer: { role: 'reviewer' },
    managerA: { role: 'bank_manager', bank: 'A', scope: { type: 'bank' } },
    regionA: { role: 'bank_manager', bank: 'A', scope: { type: 'region', region: 'North' } },
    branchesA: { role: 'bank_manager', bank: 'A', scope: { type: 'branches', branchCodes: ['WAN1'] } },
    hrA: { role: 'hr', bank: 'A', scope: { type: 'bank' } },
    managerB: { role: 'bank_manager', bank: 'B', scope: { type: 'bank' } },
    hrB: { role: 'hr', bank: 'B', scope: { type: 'bank' } },
    spare: { role: 'auditor' },
  };
  const me = await admin.get('/me');
  const entries = await Promise.all(
    Object.entries(specs).map(async ([key, s]) => {
      if (key === 'admin')
        return [key, { key, role: 'admin', id: me.id, email: ADMIN.email, token: adminToken } as Who] as const;
      const email = `${key.toLowerCase()}@world.test`;
      const body = {
        email,
        password: PASSWORD,
        name: `用户 ${key}`,
        role: s.role,
        ...(s.bank ? { bankId: bankId[s.bank], scope: s.scope } : {}),
      };
      const id = (await admin.post('/users', body)).id as string;
      const token = key === 'spare' ? '' : await tokenFor(app, email, PASSWORD);
      return [key, { key, role: s.role, id, email, token, bank: s.bank, scope: s.scope } as Who] as const;
    }),
  );
  const all = Object.fromEntries(entries) as Record<PrincipalKey | 'spare', Who>;
  const { spare, ...who } = all;
  const at = (k: PlaceKey) => place(k);
  const ownerOf = (k: PlaceKey) => who[PLACES[k].owner];

  // ---- visits
  const now = Date.now();
  const visitedAt = new Date(now - 2 * 3600_000).toISOString();
  const quarter = QUARTER_OF(new Date(visitedAt));
  const windowStart = new Date(now - 30 * 86400_000).toISOString();
  const windowEnd = new Date(now + 30 * 86400_000).toISOString();

  const newAssignment = async (k: PlaceKey): Promise<string> => {
    const p = at(k);
    return (
      await admin.post('/assignments', {
        bankId: bankId[p.bank],
        branchCode: p.branch,
        auditorId: ownerOf(k).id,
        questionnaireId: questionnaireId[p.bank],
        quarter,
        windowStart,
        windowEnd,
        scenario: '理财咨询',
      })
    ).id;
  };
  const newDraft = async (k: PlaceKey, attach = false): Promise<VisitRef> => {
    const assignmentId = await newAssignment(k);
    const owner = call(ownerOf(k).token);
    const v = await owner.post('/visits', {
      assignmentId,
      visitedAt,
      durationMinutes: 25,
      answers: ANSWERS,
      staff: [{ employeeId: at(k).staff }],
      summary: '世界',
    });
    const ref: VisitRef = { id: v.id, assignmentId };
    if (attach)
      ref.attachmentId = (await owner.upload(`/visits/${v.id}/attachments`, uniquePng(), `photo-${k}.png`)).id;
    return ref;
  };
  const submit = async (k: PlaceKey, ref: VisitRef): Promise<VisitRef> => {
    await call(ownerOf(k).token).post(`/visits/${ref.id}/submit`, {});
    return ref;
  };
  const approve = async (ref: VisitRef): Promise<VisitRef> => {
    await call(who.reviewer.token).post(`/visits/${ref.id}/review`, { decision: 'approve' });
    return ref;
  };

  const draft = {} as Record<PlaceKey, VisitRef>;
  const submitted = {} as Record<PlaceKey, VisitRef>;
  const approved = {} as Record<PlaceKey, VisitRef>;
  const keys: PlaceKey[] = ['own', 'other', 'out'];
  await Promise.all(
    keys.map(async (k) => {
      draft[k] = await newDraft(k);
      submitted[k] = await submit(k, await newDraft(k));
      approved[k] = await approve(await submit(k, await newDraft(k, true)));
    }),
  );

  const used = new Map<string, Set<string>>();
  const nextItem = (visitId: string): string => {
    const taken = used.get(visitId) ?? new Set<string>();
    used.set(visitId, taken);
    const key = ITEM_KEYS.find((i) => !taken.has(i));
    if (!key) throw new Error(`every item of visit ${visitId} is already disputed`);
    taken.add(key);
    return key;
  };
  const managerOf = (k: PlaceKey) => (PLACES[k].bank === 'A' ? who.managerA : who.managerB);
  const newDispute = async (k: PlaceKey): Promise<string> => {
    const v = approved[k].id;
    return (
      await call(managerOf(k).token).post(`/visits/${v}/disputes`, { itemKey: nextItem(v), reason: '与录像不符' })
    ).id;
  };

  // ---- disputes with evidence, action plans, HR links (per place in parallel)
  const dispute = {} as Record<PlaceKey, DisputeRef>;
  const plan = {} as Record<PlaceKey, string>;
  await Promise.all(
    keys.map(async (k) => {
      const id = await newDispute(k);
      const file = await call(managerOf(k).token).upload(
        `/disputes/${id}/attachments`,
        uniquePng(),
        `dispute-${k}.png`,
      );
      dispute[k] = { id, visitId: approved[k].id, attachmentId: file.id };
      const p = at(k);
      plan[k] = (
        await call(managerOf(k).token).post('/action-plans', {
          kind: 'key_problem',
          bankId: bankId[p.bank],
          quarter,
          itemKey: 'g1',
          scope: { type: 'branch', branchCode: p.branch },
          action: '培训迎宾流程',
          owner: '网点主任',
          dueDate: '2027-03-31',
        })
      ).id;
    }),
  );
  const hrReview = {} as Record<BankKey, string>;
  await Promise.all(
    (['A', 'B'] as const).map(async (b) => {
      const hr = b === 'A' ? who.hrA : who.hrB;
      const staff = b === 'A' ? PLACES.own.staff : PLACES.other.staff;
      hrReview[b] = (
        await call(hr.token).post(`/staff/${staff}/reviews`, { bankId: bankId[b], quarter, reviewRef: `HR-${b}-1` })
      ).id;
    }),
  );

  // ---- a closed quarter per bank (rendered by an in-process worker that is stopped again)
  let report: Record<BankKey, string> | null = null;
  if (options.reports) {
    const ids = {} as Record<BankKey, string>;
    for (const b of ['A', 'B'] as const)
      ids[b] = (await admin.post(`/banks/${bankId[b]}/quarters/${quarter}/close`, {})).reportId;
    const workers = startAppWorkers({ pollMs: 50, mail: false });
    try {
      const deadline = Date.now() + 120_000;
      for (const b of ['A', 'B'] as const) {
        for (;;) {
          const r = await Report.findById(ids[b]).lean();
          if (r?.status === 'ready') break;
          if (r?.status === 'failed') throw new Error(`report of bank ${b} failed: ${r.error}`);
          if (Date.now() > deadline) throw new Error(`report of bank ${b} not ready in time`);
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    } finally {
      await workers.stop();
    }
    report = ids;
  }

  const fresh: Fresh = {
    assignment: newAssignment,
    draft: (k) => newDraft(k),
    submitted: async (k) => submit(k, await newDraft(k)),
    attachment: async (k) => {
      const visitId = draft[k].id;
      const a = await call(ownerOf(k).token).upload(`/visits/${visitId}/attachments`, uniquePng(), 'fresh.png');
      return { visitId, attachmentId: a.id };
    },
    dispute: newDispute,
  };

  return {
    app,
    quarter,
    bankId,
    questionnaireId,
    who,
    spare: { id: spare.id, email: spare.email, password: PASSWORD },
    draft,
    submitted,
    approved,
    dispute,
    plan,
    hrReview,
    report,
    fresh,
    nextItem,
  };
}

// ---- the authorization rules, as a model the tests compare the app against

export const isBankUser = (w: Who) => w.role === 'bank_manager' || w.role === 'hr';

/** Same bank (the audit firm sees every bank). */
export function seesBank(w: Who, p: Place): boolean {
  return !isBankUser(w) || w.bank === p.bank;
}

/** Same bank and the caller's scope covers the branch. */
export function seesBranch(w: Who, p: Place): boolean {
  if (!isBankUser(w)) return true;
  if (w.bank !== p.bank || !w.scope) return false;
  if (w.scope.type === 'bank') return true;
  if (w.scope.type === 'region') return w.scope.region === p.region;
  return w.scope.branchCodes.includes(p.branch);
}

/** Visits: firm staff see all, an auditor their own, bank users approved visits in scope. */
export function seesVisit(w: Who, p: Place, status: 'draft' | 'submitted' | 'approved' = 'approved'): boolean {
  if (w.role === 'admin' || w.role === 'reviewer') return true;
  if (w.role === 'auditor') return w.key === p.owner;
  return status === 'approved' && seesBranch(w, p);
}

/** Branch codes, staff ids and bank ids a bank user must never find in an answer. */
export function hiddenFrom(w: Who, world: World): string[] {
  if (!isBankUser(w)) return [];
  const out: string[] = [];
  for (const b of ['A', 'B'] as const) {
    if (b !== w.bank) out.push(world.bankId[b], BANKS[b].code);
    for (const [region, codes] of Object.entries(BANKS[b].regions)) {
      for (const code of codes) {
        if (!seesBranch(w, { key: 'own', bank: b, region, branch: code, staff: '', owner: 'auditor' })) out.push(code);
      }
    }
    for (const [employeeId, branch] of BANKS[b].staff) {
      const region = Object.entries(BANKS[b].regions).find(([, codes]) => codes.includes(branch))?.[0] ?? '';
      if (!seesBranch(w, { key: 'own', bank: b, region, branch, staff: employeeId, owner: 'auditor' }))
        out.push(employeeId);
    }
  }
  // Bank users see auditors only by pseudonym.
  out.push(world.who.auditor.id, world.who.auditor2.id);
  return out;
}
