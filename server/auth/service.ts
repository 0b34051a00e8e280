import { UnauthorizedError } from '../platform/errors';
import { createToken, dummyPasswordHash, findUserForSignIn, verifyPassword, type UserDoc } from '../users/service';

/**
 * Signing in: e-mail and password checked against the user's record (users/), and an API token
 * issued for it. The users feature owns accounts and their credentials; this is the door people use.
 */

/** Checks e-mail and password; the same error and about the same time for an unknown e-mail as a wrong password. */
export async function checkCredentials(email: string, password: string): Promise<UserDoc> {
  const user = await findUserForSignIn(email);
  if (!user || !user.active) {
    await verifyPassword(password, await dummyPasswordHash());
    throw new UnauthorizedError('Invalid e-mail or password', 'invalid_credentials');
  }
  if (!(await verifyPassword(password, user.passwordHash))) {
    throw new UnauthorizedError('Invalid e-mail or password', 'invalid_credentials');
  }
  return user;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
  user: { id: string; email: string; name: string; role: string; bankId: string | null };
}

export async function issueToken(email: string, password: string): Promise<IssuedToken> {
  const user = await checkCredentials(email, password);
  const { token, expiresAt } = await createToken(user._id);
  return {
    token,
    expiresAt,
    user: {
      id: String(user._id),
      email: user.email,
      name: user.name,
      role: user.role,
      bankId: user.bankId ? String(user.bankId) : null,
    },
  };
}
