import { msg } from '../lib/i18n';

/**
 * Every user-facing sentence of second factors, passkeys and "confirm it's you", in one place
 * (pages, API messages, notice mails), as keys of locales/ (`msg`), translated when shown.
 */
export const MFA_MESSAGES = {
  // The second step of a login.
  pendingExpired: msg('auth.mfa.pendingExpired'),
  wrongCode: msg('auth.mfa.wrongCode'),
  wrongRecoveryCode: msg('auth.mfa.wrongRecoveryCode'),
  passkeyFailed: msg('auth.mfa.passkeyFailed'),
  signedInWithRecoveryCode: (left: number) => msg('auth.mfa.signedInWithRecoveryCode', { count: left }),
  // Fields.
  codeFormat: msg('validation.mfa.codeFormat'),
  recoveryCodeFormat: msg('validation.mfa.recoveryCodeFormat'),
  codeOrRecoveryCode: msg('validation.mfa.codeOrRecoveryCode'),
  passkeyName: msg('validation.mfa.passkeyName'),
  passkeyResponse: msg('validation.mfa.passkeyResponse'),
  currentPasswordNeeded: msg('me.mfa.currentPasswordNeeded'),
  currentPasswordWrong: msg('me.errors.currentPasswordWrong'),
  // Setting up and turning off.
  totpAlreadyOn: msg('me.mfa.totpAlreadyOn'),
  totpNotPending: msg('me.mfa.totpNotPending'),
  totpNotOn: msg('me.mfa.totpNotOn'),
  noSecondFactor: msg('me.mfa.noSecondFactor'),
  passkeyNotFound: msg('me.mfa.passkeyNotFound'),
  passkeyCeremonyExpired: msg('me.mfa.passkeyCeremonyExpired'),
  passkeyAlreadyRegistered: msg('me.mfa.passkeyAlreadyRegistered'),
  // Flash messages.
  totpEnabled: msg('me.mfa.totpEnabled'),
  totpDisabled: msg('me.mfa.totpDisabled'),
  passkeyAdded: (name: string) => msg('me.mfa.passkeyAdded', { name }),
  passkeyAddedWithCodes: (name: string) => msg('me.mfa.passkeyAddedWithCodes', { name }),
  passkeyRemoved: (name: string) => msg('me.mfa.passkeyRemoved', { name }),
  recoveryCodesRenewed: msg('me.mfa.recoveryCodesRenewed'),
  // Confirm it's you (sudo mode).
  confirmNeeded: msg('me.confirm.needed'),
  confirmNoProof: msg('me.confirm.noProof'),
  confirmed: msg('me.confirm.done'),
  reauthenticationRequired: msg('me.confirm.required'),
  // Admins.
  mfaSetupRequired: msg('admin.message.mfaSetupRequired'),
  mfaResetSelf: msg('admin.message.mfaResetSelf'),
  mfaNothingToReset: msg('admin.message.mfaNothingToReset'),
} as const;

/** The changes a security notice mail tells the account about (its sentence: mail.securityNotice.summary.<change>). */
export const SECURITY_CHANGES = ['totp_enabled', 'totp_disabled', 'recovery_codes_generated', 'recovery_code_used', 'passkey_added', 'passkey_removed', 'mfa_reset'] as const;

export type SecurityChange = (typeof SECURITY_CHANGES)[number];
