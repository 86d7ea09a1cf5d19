/**
 * Every user-facing sentence of second factors, passkeys and "confirm it's you", in one place
 * (pages, API messages, notice mails), so they can be translated together.
 */
export const MFA_MESSAGES = {
  // The second step of a login.
  pendingExpired: 'Your sign-in has expired. Enter your password again.',
  wrongCode: 'That code is not correct, or it has already been used.',
  wrongRecoveryCode: 'That recovery code is not correct, or it has already been used.',
  passkeyFailed: 'That passkey could not be verified. Try again, or use another way to sign in.',
  signedInWithRecoveryCode: (left: number) => `You signed in with a recovery code. ${left} of them are left: make new ones on your Security page if you are running out.`,
  // Fields.
  codeFormat: 'Enter the 6-digit code from your authenticator app.',
  recoveryCodeFormat: 'Enter one of your recovery codes, like ABCDE-12345.',
  codeOrRecoveryCode: 'Enter a code from your authenticator app or one of your recovery codes.',
  passkeyName: 'Give the passkey a name of 1 to 64 characters, such as "Laptop".',
  passkeyResponse: 'The passkey answer is missing or malformed. Try again.',
  currentPasswordNeeded: 'Enter your current password.',
  currentPasswordWrong: 'Your current password is not correct.',
  // Setting up and turning off.
  totpAlreadyOn: 'An authenticator app is already set up. Turn it off first to set up another one.',
  totpNotPending: 'Start the authenticator app setup first.',
  totpNotOn: 'No authenticator app is set up.',
  noSecondFactor: 'Set up an authenticator app or a passkey first.',
  passkeyNotFound: 'That passkey does not exist (any more).',
  passkeyCeremonyExpired: 'That passkey request has expired. Start again.',
  passkeyAlreadyRegistered: 'That passkey is already registered.',
  // Flash messages.
  totpEnabled: 'Your authenticator app is on. Keep your recovery codes somewhere safe.',
  totpDisabled: 'Your authenticator app is off.',
  passkeyAdded: (name: string) => `Passkey "${name}" added.`,
  passkeyAddedWithCodes: (name: string) => `Passkey "${name}" added. Keep these recovery codes somewhere safe: they get you in if you lose it.`,
  passkeyRemoved: (name: string) => `Passkey "${name}" removed.`,
  recoveryCodesRenewed: 'New recovery codes made. The old ones no longer work.',
  // Confirm it's you (sudo mode).
  confirmNeeded: 'Confirm it is you to continue. You will not be asked again for 10 minutes.',
  confirmNoProof: 'Enter your password, or a code from your authenticator app.',
  confirmed: 'Thanks — confirmed.',
  reauthenticationRequired: 'Confirm it is you first: this action needs a password or second-factor confirmation from the last 10 minutes.',
  // Admins.
  mfaSetupRequired: 'Admins must use a second factor: set up an authenticator app or a passkey before using the admin pages.',
  mfaReset: (username: string) => `Second factors of ${username} were removed. They were told by mail.`,
  mfaResetSelf: 'You cannot reset your own second factors here: use your Security page.',
  mfaNothingToReset: 'This user has no second factor.',
  // One sentence per change, for the notice mail.
  notices: {
    totp_enabled: 'An authenticator app was set up as a second factor for your account.',
    totp_disabled: 'The authenticator app was turned off for your account.',
    recovery_codes_generated: 'New recovery codes were made for your account; the earlier ones no longer work.',
    recovery_code_used: 'One of your recovery codes was used to sign in or to confirm a change.',
    passkey_added: 'A passkey was added to your account.',
    passkey_removed: 'A passkey was removed from your account.',
    mfa_reset: 'An administrator removed the second factors (authenticator app, passkeys and recovery codes) of your account.',
  },
} as const;

export type SecurityChange = keyof typeof MFA_MESSAGES.notices;
