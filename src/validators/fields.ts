import { body, ValidationChain } from 'express-validator';
import { Message, msg, SUPPORTED_LANGUAGES } from '../lib/i18n';
import { checkPasswordPolicy, PASSWORD_MAX_LENGTH, PASSWORD_MESSAGES } from '../services/password.service';

/**
 * Field rules shared by forms and JSON. Every field must be one string: arrays (repeated form
 * fields), objects, numbers and null are refused before any other rule runs, so nothing but
 * a string can ever reach Knex.
 */
export const FIELD_MESSAGES = {
  notText: (label: Message) => msg('validation.notText', { label }),
  malformed: (label: Message) => msg('validation.malformed', { label }),
  required: (label: Message) => msg('validation.required', { label }),
  username: msg('validation.username.format'),
  email: msg('validation.email.format'),
  emailAscii: msg('validation.email.ascii'),
  login: msg('validation.login.format'),
  loginTooLong: msg('validation.login.tooLong'),
  name: (label: Message) => msg('validation.name', { label }),
  tooLong: (label: Message) => msg('validation.tooLong', { label }),
  passwordTooLong: PASSWORD_MESSAGES.tooLong,
  confirmation: msg('validation.password.confirmation'),
} as const;

/** Field names as the messages say them (validation.labels in locales/). */
export const LABELS = {
  username: msg('validation.labels.username'),
  email: msg('validation.labels.email'),
  password: msg('validation.labels.password'),
  currentPassword: msg('validation.labels.currentPassword'),
  passwordConfirmation: msg('validation.labels.passwordConfirmation'),
  firstName: msg('validation.labels.firstName'),
  secondName: msg('validation.labels.secondName'),
  login: msg('validation.labels.login'),
  code: msg('validation.labels.code'),
  recoveryCode: msg('validation.labels.recoveryCode'),
  passkey: msg('validation.labels.passkey'),
  passkeyName: msg('validation.labels.passkeyName'),
  language: msg('validation.labels.language'),
} as const;

// Control and invisible formatting characters (NUL, bidi overrides, zero-width joiners…).
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}]/u;
const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;
// Half a surrogate pair: not text. It becomes U+FFFD on its way to the database or a hash
// (so two such passwords would be one), and validator's isEmail throws on it (a 500).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * At most `max` code points, as a MySQL VARCHAR(max) counts them. validator's isLength counts
 * "❤️" (two code points) as one character, so a value it passes could overflow the column (a 500).
 */
function fitsColumn(max: number) {
  return (value: string) => [...value].length <= max;
}

export function singleString(field: string, label: Message, required: boolean): ValidationChain {
  const chain = body(field);
  const guarded = required
    ? chain.exists({ values: 'undefined' }).withMessage(FIELD_MESSAGES.required(label)).bail()
    : chain.optional({ values: 'undefined' });
  return guarded.custom((value) => typeof value === 'string').withMessage(FIELD_MESSAGES.notText(label)).bail()
    .custom((value: string) => !LONE_SURROGATE.test(value)).withMessage(FIELD_MESSAGES.malformed(label)).bail();
}

export function usernameField(field = 'username'): ValidationChain {
  return singleString(field, LABELS.username, true)
    .trim()
    .notEmpty().withMessage(FIELD_MESSAGES.required(LABELS.username)).bail()
    .matches(USERNAME).withMessage(FIELD_MESSAGES.username);
}

export function emailField(options: { required: boolean } = { required: true }): ValidationChain {
  const chain = singleString('email', LABELS.email, options.required).trim();
  return (options.required ? chain.notEmpty().withMessage(FIELD_MESSAGES.required(LABELS.email)).bail() : chain)
    // Measured as stored, lower-cased: "İ" lower-cases to two code points.
    .custom((value: string) => fitsColumn(254)(value.toLowerCase())).withMessage(FIELD_MESSAGES.email).bail()
    // ASCII only, so an address compares the same on SQLite and under MySQL's folding collation.
    .isAscii().withMessage(FIELD_MESSAGES.emailAscii).bail()
    .isEmail({ allow_utf8_local_part: false, allow_ip_domain: false, allow_display_name: false })
    .withMessage(FIELD_MESSAGES.email).bail()
    .customSanitizer((value: string) => value.toLowerCase());
}

export function nameField(field: 'first_name' | 'second_name'): ValidationChain {
  const label = field === 'first_name' ? LABELS.firstName : LABELS.secondName;
  return singleString(field, label, false)
    .trim()
    .customSanitizer((value: string) => value.normalize('NFC'))
    .custom(fitsColumn(50)).withMessage(FIELD_MESSAGES.name(label)).bail()
    .not().matches(CONTROL_OR_FORMAT).withMessage(FIELD_MESSAGES.name(label));
}

/**
 * The current password where it is only needed for some changes (the email on the profile):
 * absent or empty means "not given"; anything else must be one non-empty string.
 */
export function optionalPasswordField(field: string, label: Message): ValidationChain {
  return singleString(field, label, false)
    .if((value: string) => value !== '')
    .isLength({ max: PASSWORD_MAX_LENGTH * 4 }).withMessage(FIELD_MESSAGES.passwordTooLong);
}

/** A password as typed: any characters, checked only for type and an upper bound here. */
export function passwordField(field: string, label: Message = LABELS.password): ValidationChain {
  return singleString(field, label, true)
    .notEmpty().withMessage(FIELD_MESSAGES.required(label)).bail()
    .isLength({ max: PASSWORD_MAX_LENGTH * 4 }).withMessage(FIELD_MESSAGES.passwordTooLong);
}

/** A new password, with the full policy, so every problem shows in one round trip. */
export function newPasswordField(field: string, identity: (req: { body?: Record<string, unknown> }) => { username?: string; email?: string }): ValidationChain {
  return passwordField(field).bail().custom((value: string, { req }) => {
    const problem = checkPasswordPolicy(value, identity(req));
    // A MessageRef thrown is kept as the field's message (middleware/validate.ts).
    if (problem) throw problem;
    return true;
  });
}

export function confirmationField(field: string, of: string, required: boolean): ValidationChain {
  return singleString(field, LABELS.passwordConfirmation, required)
    .custom((value: string, { req }) => value === req.body?.[of]).withMessage(FIELD_MESSAGES.confirmation);
}

/** A language of SUPPORTED_LANGUAGES; with `allowNone`, '' too ("no choice": the browser's). */
export function languageField(field: string, options: { required: boolean; allowNone: boolean }): ValidationChain {
  const allowed: readonly string[] = options.allowNone ? [...SUPPORTED_LANGUAGES, ''] : SUPPORTED_LANGUAGES;
  return singleString(field, LABELS.language, options.required)
    .custom((value: string) => allowed.includes(value)).withMessage(msg('validation.language.unsupported', { languages: SUPPORTED_LANGUAGES.join(', ') }));
}

/** An optional free-form string such as `next`: only its type and length are checked here. */
export function optionalText(field: string, max = 2048): ValidationChain {
  return singleString(field, field, false).isLength({ max }).withMessage(FIELD_MESSAGES.tooLong(field));
}
