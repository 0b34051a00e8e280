import { commonCharacters } from '../../reports';
import type { RenderTask } from './render-task';

/** Branch reports a close's render threads learn a font lead from before the rest get it. */
export const LEAD_SAMPLES = 4;

/**
 * Learns a font lead (reports/font-lead.ts) from a close's first branch reports: the characters each
 * of the first `samples` drew, kept where all of them drew it. Later branch tasks carry the lead, so
 * the glyphs every report draws lead every font subset and are compressed once per thread. Which
 * tasks carry it changes only the numbering inside their PDFs (each packed task renders the same
 * bytes wherever it runs), so the tasks that happen to finish first may teach it.
 */
export interface LeadLearner {
  /** The lead once learned ('' never: a lead with no characters is none). */
  readonly lead: string | undefined;
  /** Whether this task, about to be sent, should report what it drew (counted as asked). */
  ask(task: RenderTask): boolean;
  /** What an asked task drew; undefined when it failed (its place is asked again). */
  answer(drawn: string | undefined): void;
}

export function leadLearner(samples = LEAD_SAMPLES): LeadLearner {
  const drawn: string[] = [];
  let asked = 0;
  let lead: string | undefined;
  return {
    get lead() {
      return lead;
    },
    ask(task) {
      if (lead !== undefined || task.kind !== 'branch' || asked >= samples) return false;
      asked++;
      return true;
    },
    answer(chars) {
      if (chars === undefined) {
        asked--;
        return;
      }
      drawn.push(chars);
      if (drawn.length === samples) lead = commonCharacters(drawn) || undefined;
    },
  };
}
