import { bankTimezone } from '../banks/service';
import { DEFAULT_TIMEZONE } from '../rules/quarters';
import { formatScore } from '../rules/scoring';
import { getVisit, type VisitView } from '../visits/service';
import { param, type FormState } from '../web/forms';
import { render, type PageContext } from '../web/render';
import { OPENER, RESOLVER, getDispute, type DisputeView } from './service';
import { versionOf } from './versions';
import { valueInput, type Item } from './pages-value';
import { answerWords, itemLabel } from './words';

/**
 * One dispute, as the reviewer decides it: the visit it is about (linked, with its facts), the
 * disputed answer and the auditor's comment, both sides' evidence inline (photos as thumbnails,
 * audio as players), and a decision with no default — a reviewer must choose, never just submit.
 */
const IMAGES = new Set(['image/jpeg', 'image/png', 'image/webp']);

interface EvidenceFile {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  itemKey?: string | null;
  removedAt?: string;
}

function evidence(files: EvidenceFile[], urlOf: (id: string) => string, itemKey: string) {
  return files
    .filter((f) => !f.removedAt)
    .map((f) => ({
      url: urlOf(f.id),
      name: f.filename,
      image: IMAGES.has(f.contentType),
      audio: f.contentType.startsWith('audio/'),
      kb: Math.max(1, Math.round(f.size / 1024)),
      forItem: f.itemKey === itemKey,
    }))
    .sort((a, b) => Number(b.forItem) - Number(a.forItem));
}

const totalOf = (figures: unknown): number | null => {
  const t = (figures as { scores?: { total?: unknown } } | null)?.scores?.total;
  return typeof t === 'number' ? t : null;
};

async function visitOf(ctx: PageContext, d: DisputeView): Promise<VisitView | null> {
  return getVisit(ctx.user, d.visitId).catch(() => null);
}

function visitFacts(ctx: PageContext, v: VisitView | null, d: DisputeView, item: Item | undefined) {
  if (!v) return null;
  const answer = v.answers.find((a) => a.itemKey === d.itemKey);
  return {
    href: `/visits/${v.id}#item-${d.itemKey}`,
    branch: `${v.branchName} (${v.branchCode})`,
    visitedAt: v.visitedAt,
    total: formatScore(v.scores.total),
    answerNow: answerWords(ctx.locale, item, answer?.value),
    comment: answer?.comment,
    evidence: evidence(v.attachments, (id) => `/visits/${v.id}/attachments/${id}`, d.itemKey),
  };
}

export async function showDispute(ctx: PageContext, form: FormState, status = 200): Promise<void> {
  const d = await getDispute(ctx.user, param(ctx.req, 'disputeId'));
  const [version, visit, zone] = await Promise.all([
    versionOf(d.questionnaireId, d.questionnaireVersion),
    visitOf(ctx, d),
    bankTimezone(d.bankId),
  ]);
  const item = version.items.get(d.itemKey);
  const label = itemLabel(ctx.locale, d.itemText);
  const open = d.status === 'open';
  render(
    ctx.req,
    ctx.res,
    'pages/disputes/show',
    {
      title: ctx.t('disputes.show.title', { item: label }),
      clockZone: zone ?? DEFAULT_TIMEZONE,
      d: {
        ...d,
        itemLabel: label,
        statusLabel: ctx.t(`disputes.status.${d.status}`),
        valueAtOpening: answerWords(ctx.locale, item, d.valueAtOpening),
        section: ctx.t(`results.section.${d.sectionKey}`),
      },
      visit: visitFacts(ctx, visit, d, item),
      bankEvidence: evidence(d.attachments, (id) => `/disputes/${d.id}/attachments/${id}`, d.itemKey),
      resolution: d.resolution
        ? {
            ...d.resolution,
            decisionLabel: ctx.t(`disputes.status.${d.resolution.decision}`),
            value: answerWords(ctx.locale, item, d.resolution.value),
            totalBefore: formatScore(totalOf(d.resolution.before)),
            totalAfter: formatScore(totalOf(d.resolution.after)),
          }
        : null,
      canResolve: open && RESOLVER.includes(ctx.user.role),
      canAttach: open && OPENER.includes(ctx.user.role),
      input: item ? valueInput(ctx, item, form.values) : null,
      decisions: ['upheld', 'overturned'].map((v) => ({
        value: v,
        label: ctx.t(`disputes.decide.${v}`),
        selected: form.values.decision === v,
      })),
      form,
    },
    status,
  );
}
