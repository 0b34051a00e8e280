import http from 'node:http';
import https from 'node:https';
import { guardedLookup } from './target';

/**
 * One POST to a webhook target: the address checked when connecting (target.ts), redirects not
 * followed (a 3xx is an answer that is not 2xx), the whole exchange bounded by `timeoutMs`, only the
 * first bytes of the answer kept for the delivery log.
 */
export interface PostResult {
  ok: boolean;
  statusCode?: number;
  error?: string;
  ms: number;
}

const KEEP_BYTES = 512;

export function postJson(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<PostResult> {
  const started = Date.now();
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: Omit<PostResult, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, ms: Date.now() - started });
    };
    const req = client.request(
      target,
      {
        method: 'POST',
        lookup: guardedLookup,
        agent: false,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'mystery-shopper-webhooks/1',
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let kept = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (kept.length < KEEP_BYTES) kept += chunk.slice(0, KEEP_BYTES - kept.length);
        });
        res.on('end', () => {
          if (status >= 200 && status < 300) return finish({ ok: true, statusCode: status });
          const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
          finish({ ok: false, statusCode: status, error: `HTTP ${status}${redirect}${kept ? `: ${kept}` : ''}` });
        });
        res.on('error', (e) => finish({ ok: false, statusCode: status, error: e.message }));
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) => finish({ ok: false, error: e.message }));
    req.end(body);
  });
}
