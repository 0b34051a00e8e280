import type { Call } from './settings';

/** The load test's set-up calls against the running app. */
export async function webSession(base: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${base}/login`);
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!cookie || !csrf) throw new Error('no session cookie or CSRF token on /login');
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password, next: '/' }).toString(),
  });
  const signed = (res.headers.get('set-cookie') ?? '').split(';')[0];
  if (res.status !== 303 || !signed) throw new Error(`web sign-in of ${email} failed: ${res.status}`);
  return signed;
}

export async function closeQuarter(
  call: Call,
  base: string,
  adminToken: string,
  bankId: string,
  quarter: string,
): Promise<string> {
  const auth = { Authorization: `Bearer ${adminToken}` };
  const res = await call(base, 'POST', `/api/v1/banks/${bankId}/quarters/${quarter}/close`, { headers: auth });
  if (res.status !== 202 || !('body' in res)) throw new Error(`close failed: ${res.status}`);
  const reportId = (res.body as { reportId: string }).reportId;
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    const r = await call(base, 'GET', `/api/v1/reports/${reportId}`, { headers: auth });
    const status = 'body' in r ? (r.body as { status?: string }).status : undefined;
    if (status === 'ready') return reportId;
    if (status === 'failed') throw new Error('the close failed');
    await new Promise((x) => setTimeout(x, 1000));
  }
  throw new Error('the close did not finish in 10 minutes');
}

export async function counts(call: Call, base: string, adminToken: string, reviewerToken: string): Promise<string> {
  const all = await call(base, 'GET', '/api/v1/visits', {
    headers: { Authorization: `Bearer ${adminToken}` },
    timeoutMs: 120_000,
  });
  const queue = await call(base, 'GET', '/api/v1/review/queue', {
    headers: { Authorization: `Bearer ${reviewerToken}` },
    timeoutMs: 120_000,
  });
  const n = 'body' in all && Array.isArray(all.body) ? all.body.length : NaN;
  const q = 'body' in queue && Array.isArray(queue.body) ? queue.body.length : NaN;
  return `${n} visits in the database, ${q} in the review queue`;
}

export const json = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};
