/**
 * Signing in (the door of auth/): e-mail and password or the bank's own provider (SSO), the second
 * factor, API tokens, passwords as people change and reset them, and one's own sessions. Accounts and
 * their stored secrets belong to users/; this feature is the protocols people sign in with.
 */
export {
  checkCredentials,
  mfaRequiredForRole,
  MfaRequiredError,
  passSecondFactor,
  secondFactorNeed,
  signedIn,
  signInFailed,
  actorOf,
  type SecondFactor,
  type SecondFactorNeed,
  type SignInMethod,
} from './sign-in';
export { issueToken, revokeCurrentToken, type IssuedToken } from './tokens';
export { confirmEnrolment, disableOwnMfa, renewRecoveryCodes, resetUserMfa, startEnrolment } from './mfa';
export { changePassword, composeResetMail, confirmPasswordReset, requestPasswordReset, RESET_MAIL } from './passwords';
export { endOwnSignIn, listOwnSignIns, type SignInView } from './sessions';
export {
  getSsoSettings,
  putSsoSettings,
  removeSsoSettings,
  ssoRedirectUri,
  ssoRequiredFor,
  ssoSettingsBody,
  type SsoSettingsInput,
  type SsoSettingsView,
} from './sso/settings';
export { finishSsoSignIn, purgeOldSsoAttempts, ssoBankByCode, SsoSignInError, startSsoSignIn } from './sso/flow';
