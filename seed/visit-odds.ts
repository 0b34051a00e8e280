// How likely the demo shoppers meet each kind of finding: the odds seed/visit-plans.ts plays out.
/** Items harder to get right than the shopper's overall impression of the branch. */
export const DIFFICULTY: Record<string, number> = {
  p_fees: 0.15,
  p_compare: 0.2,
  f_callback_on_time: 0.25,
  f_callback_agreed: 0.1,
  g_queue_ticket: 0.1,
  c_cooling_off: 0.1,
};
/** Which critical item a compliance failure hits, most often the ones regulators see most. */
export const CRITICAL_FAILURES = [
  'c_no_guarantee',
  'c_no_guarantee',
  'c_risk_disclosure',
  'c_risk_disclosure',
  'c_suitability',
  'c_risk_match',
  'c_dual_recording',
  'c_id_check',
];
export const NA_CHANCE: Record<string, number> = {
  g_lobby_guide: 0.08,
  p_compare: 0.12,
  c_dual_recording: 0.3,
  c_cooling_off: 0.2,
  f_after_sale: 0.5,
};
