import { body, query, ValidationChain } from 'express-validator';
import { safeNextPath } from '../lib/safe-next';
import { MFA_MESSAGES } from '../services/mfa-messages';
import { normalizeRecoveryCode } from '../services/recovery-codes.service';
import { msg } from '../lib/i18n';
import { LABELS, optionalText, passwordField, singleString } from './fields';

const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}]/u;
/** A WebAuthn answer is a few kB; a registration with a long certificate chain stays well under this. */
const MAX_PASSKEY_RESPONSE = 16_000;

/** Six digits from the authenticator app; spaces people type between groups are dropped. */
function codeField(required: boolean): ValidationChain {
  return singleString('code', LABELS.code, required)
    .customSanitizer((value: string) => value.replace(/\s/g, ''))
    .if((value: string) => required || value !== '')
    .matches(/^\d{6}$/).withMessage(MFA_MESSAGES.codeFormat);
}

function recoveryCodeField(): ValidationChain {
  return singleString('recovery_code', LABELS.recoveryCode, false)
    .trim()
    .if((value: string) => value !== '')
    .isLength({ max: 32 }).withMessage(MFA_MESSAGES.recoveryCodeFormat).bail()
    .custom((value: string) => normalizeRecoveryCode(value) !== undefined).withMessage(MFA_MESSAGES.recoveryCodeFormat);
}

/** Exactly one of the authenticator code and a recovery code (or, where `passkey` allows it, a passkey's answer instead). */
function oneCode(options: { passkey: boolean } = { passkey: false }): ValidationChain {
  return body('code').custom((_value, { req }) => {
    // By now a passkey answer has been parsed into an object (passkeyResponseField comes first).
    const passkey = req.body?.passkey_response;
    if (options.passkey && ((typeof passkey === 'string' && passkey !== '') || (passkey && typeof passkey === 'object'))) return true;
    const given = ['code', 'recovery_code'].filter((field) => typeof req.body?.[field] === 'string' && req.body[field].trim() !== '');
    if (given.length !== 1) throw MFA_MESSAGES.codeOrRecoveryCode;
    return true;
  });
}

/**
 * The JSON a browser's WebAuthn call produced (public/js/passkeys.js puts it in a hidden
 * field), parsed into an object whose credential id is a base64url string; the library checks
 * the rest. Nothing from it but that id ever reaches a query.
 */
function passkeyResponseField(required: boolean): ValidationChain {
  return singleString('passkey_response', LABELS.passkey, required)
    .if((value: string) => required || value !== '')
    .isLength({ min: 2, max: MAX_PASSKEY_RESPONSE }).withMessage(MFA_MESSAGES.passkeyResponse).bail()
    .custom((value: string) => {
      const parsed: unknown = JSON.parse(value);
      const credential = parsed as { id?: unknown; response?: unknown; type?: unknown } | null;
      if (!credential || typeof credential !== 'object' || typeof credential.id !== 'string' || !/^[A-Za-z0-9_-]{1,1400}$/.test(credential.id)
        || credential.type !== 'public-key' || !credential.response || typeof credential.response !== 'object') throw new Error('malformed');
      return true;
    }).withMessage(MFA_MESSAGES.passkeyResponse).bail()
    .customSanitizer((value: string) => JSON.parse(value));
}

const nextField = () => optionalText('next').customSanitizer((value: string) => safeNextPath(value) ?? '');

/** The code prompt of a login: an authenticator code, a recovery code, or a passkey's answer. */
export const secondStepForm = [codeField(false), recoveryCodeField(), passkeyResponseField(false), nextField(), oneCode({ passkey: true })];

export const mfaTokenField = () => singleString('mfa_token', 'mfa_token', true).isLength({ min: 1, max: 128 }).withMessage(msg('validation.mfaToken'));

export const secondStepApi = [mfaTokenField(), codeField(false), recoveryCodeField(), oneCode()];

export const totpStartApi = [passwordField('current_password', LABELS.currentPassword)];
export const totpConfirm = [codeField(true)];
export const codeOrRecoveryForm = [codeField(false), recoveryCodeField(), oneCode()];
export const totpDisableApi = [passwordField('current_password', LABELS.currentPassword), ...codeOrRecoveryForm];
export const recoveryCodesApi = [passwordField('current_password', LABELS.currentPassword)];

export const passkeyNameForm = [
  singleString('name', LABELS.passkeyName, true).trim()
    .isLength({ min: 1, max: 64 }).withMessage(MFA_MESSAGES.passkeyName).bail()
    .not().matches(CONTROL_OR_FORMAT).withMessage(MFA_MESSAGES.passkeyName),
];
export const passkeyAddForm = [...passkeyNameForm, passkeyResponseField(true)];
export const passkeyLoginForm = [passkeyResponseField(true), nextField(), optionalText('remember', 8)];

/** Deleting the account: the second factor's confirmation, either field (the service decides whether one is needed). */
export const optionalSecondFactor = [codeField(false), recoveryCodeField()];

/** Where the confirm page returns to: a local path only. */
const returnToField = () => optionalText('return_to').customSanitizer((value: string) => safeNextPath(value) ?? '');

export const confirmQuery = [query('return_to').optional().custom((value) => typeof value === 'string' && value.length <= 2048).customSanitizer((value: string) => safeNextPath(value) ?? '')];

export const confirmForm = [
  singleString('current_password', LABELS.currentPassword, false).isLength({ max: 1024 }).withMessage(MFA_MESSAGES.currentPasswordWrong),
  codeField(false),
  passkeyResponseField(false),
  returnToField(),
  optionalText('held', 8192),
  body('current_password').custom((_value, { req }) => {
    const given = ['current_password', 'code'].some((field) => typeof req.body?.[field] === 'string' && req.body[field] !== '')
      || (req.body?.passkey_response !== null && typeof req.body?.passkey_response === 'object');
    if (!given) throw MFA_MESSAGES.confirmNoProof;
    return true;
  }),
];
