/** The branch records the syncs changed lately: what the background check looks at next. */
const recent = new Set<string>();
const RECENT_LIMIT = 200;

/** Remembers a branch record a sync changed. */
export function noteSynced(bankId: string, quarter: string, branchCode: string, region: string): void {
  if (recent.size >= RECENT_LIMIT) recent.delete(recent.values().next().value as string);
  recent.add(JSON.stringify([bankId, quarter, branchCode, region]));
}

/** Up to `n` of the branch records changed lately, forgotten once taken: [bankId, quarter, code, region]. */
export function takeRecent(n: number): string[] {
  const picked = [...recent].slice(-n);
  for (const key of picked) recent.delete(key);
  return picked;
}
