import * as audit from '../audit/service';
import type { Principal } from '../platform/access';
import { destroySessionByHandle, sessionsOfUser } from '../platform/db/session-store';
import { NotFoundError } from '../platform/errors';
import * as users from '../users/service';

/**
 * A user's own sign-ins (SPEC §14: "a page where users see and end their own sessions"): web sessions
 * and API tokens that still work, each named by an id that is not the secret itself (`web:<hash of
 * the session id>`, `token:<record id>`), and ended one by one.
 */
export interface SignInView {
  id: string;
  kind: 'web' | 'token';
  createdAt: string | null;
  lastSeenAt: string | null;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  method: string | null;
  current: boolean;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function listOwnSignIns(p: Principal, currentSessionId?: string): Promise<SignInView[]> {
  const [web, tokens] = await Promise.all([
    sessionsOfUser(p.id, currentSessionId),
    users.activeTokensOf(p.id, p.tokenId),
  ]);
  return [
    ...web.map((s) => ({
      id: `web:${s.handle}`,
      kind: 'web' as const,
      createdAt: iso(s.signedInAt),
      lastSeenAt: iso(s.lastSeenAt),
      expiresAt: s.expiresAt.toISOString(),
      ip: s.ip,
      userAgent: s.userAgent,
      method: s.method,
      current: s.current,
    })),
    ...tokens.map((t) => ({
      id: `token:${t.id}`,
      kind: 'token' as const,
      createdAt: iso(t.createdAt),
      lastSeenAt: iso(t.lastUsedAt),
      expiresAt: t.expiresAt.toISOString(),
      ip: null,
      userAgent: null,
      method: t.label,
      current: t.current,
    })),
  ];
}

/** Ends one of the caller's own sign-ins; 404 for anything else (another user's, or one already ended). */
export async function endOwnSignIn(p: Principal, id: string): Promise<void> {
  const [kind, ref] = [id.slice(0, id.indexOf(':')), id.slice(id.indexOf(':') + 1)];
  const ended =
    kind === 'web'
      ? await destroySessionByHandle(p.id, ref)
      : kind === 'token'
        ? await users.revokeOwnToken(p.id, ref)
        : false;
  if (!ended) throw new NotFoundError('Session');
  await audit.record({
    action: kind === 'web' ? 'session.ended' : 'token.revoked',
    actor: { id: p.id, email: p.email, role: p.role, bankId: p.bankId ?? null },
    target: { type: kind === 'web' ? 'session' : 'token', id: ref, label: p.email },
    bankId: p.bankId ?? null,
    note: 'ended by its owner',
  });
}
