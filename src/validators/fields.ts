import { body, ValidationChain } from 'express-validator';
import { msg, SUPPORTED_LANGUAGES } from '../lib/i18n';
import { checkPasswordPolicy, PASSWORD_MAX_LENGTH } from '../services/password.service';

/**
 * Field rules shared by forms and JSON. Every field must be one string: arrays (repeated form
 * fields), objects, numbers and null are refused before any other rule runs, so nothing but
 * a string can ever reach Knex.
 */
export const FIELD_MESSAGES = {
  notText: (label: string) => `${label} must be a single text value.`,
  malformed: (label: string) => `${label} contains characters that are not valid text.`,
  required: (label: string) => `Enter ${label.toLowerCase()}.`,
  username: 'Username must be 3 to 32 characters: letters, digits, dots, dashes or underscores.',
  email: 'Enter a valid email address (at most 254 characters).',
  emailAscii: 'Enter the address in plain ASCII (an internationalised domain in its xn-- form).',
  login: 'Enter your username or email address as you registered it.',
  name: (label: string) => `${label} must be at most 50 characters, without control characters.`,
  passwordTooLong: `Password must be at most ${PASSWORD_MAX_LENGTH} characters.`,
  confirmation: 'The two passwords do not match.',
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

export function singleString(field: string, label: string, required: boolean): ValidationChain {
  const chain = body(field);
  const guarded = required
    ? chain.exists({ values: 'undefined' }).withMessage(FIELD_MESSAGES.required(label)).bail()
    : chain.optional({ values: 'undefined' });
  return guarded.custom((value) => typeof value === 'string').withMessage(FIELD_MESSAGES.notText(label)).bail()
    .custom((value: string) => !LONE_SURROGATE.test(value)).withMessage(FIELD_MESSAGES.malformed(label)).bail();
}

export function usernameField(field = 'username'): ValidationChain {
  return singleString(field, 'Username', true)
    .trim()
    .notEmpty().withMessage(FIELD_MESSAGES.required('Username')).bail()
    .matches(USERNAME).withMessage(FIELD_MESSAGES.username);
}

export function emailField(options: { required: boolean } = { required: true }): ValidationChain {
  const chain = singleString('email', 'Email address', options.required).trim();
  return (options.required ? chain.notEmpty().withMessage(FIELD_MESSAGES.required('Email address')).bail() : chain)
    // Measured as stored, lower-cased: "İ" lower-cases to two code points.
    .custom((value: string) => fitsColumn(254)(value.toLowerCase())).withMessage(FIELD_MESSAGES.email).bail()
    // ASCII only, so an address compares the same on SQLite and under MySQL's folding collation.
    .isAscii().withMessage(FIELD_MESSAGES.emailAscii).bail()
    .isEmail({ allow_utf8_local_part: false, allow_ip_domain: false, allow_display_name: false })
    .withMessage(FIELD_MESSAGES.email).bail()
    .customSanitizer((value: string) => value.toLowerCase());
}

export function nameField(field: 'first_name' | 'second_name'): ValidationChain {
  const label = field === 'first_name' ? 'First name' : 'Second name';
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
export function optionalPasswordField(field: string, label: string): ValidationChain {
  return singleString(field, label, false)
    .if((value: string) => value !== '')
    .isLength({ max: PASSWORD_MAX_LENGTH * 4 }).withMessage(FIELD_MESSAGES.passwordTooLong);
}

/** A password as typed: any characters, checked only for type and an upper bound here. */
export function passwordField(field: string, label = 'Password'): ValidationChain {
  return singleString(field, label, true)
    .notEmpty().withMessage(FIELD_MESSAGES.required(label)).bail()
    .isLength({ max: PASSWORD_MAX_LENGTH * 4 }).withMessage(FIELD_MESSAGES.passwordTooLong);
}

/** A new password, with the full policy, so every problem shows in one round trip. */
export function newPasswordField(field: string, identity: (req: { body?: Record<string, unknown> }) => { username?: string; email?: string }): ValidationChain {
  return passwordField(field).bail().custom((value: string, { req }) => {
    const problem = checkPasswordPolicy(value, identity(req));
    if (problem) throw new Error(problem);
    return true;
  });
}

export function confirmationField(field: string, of: string, required: boolean): ValidationChain {
  return singleString(field, 'Password confirmation', required)
    .custom((value: string, { req }) => value === req.body?.[of]).withMessage(FIELD_MESSAGES.confirmation);
}

/** A language of SUPPORTED_LANGUAGES; with `allowNone`, '' too ("no choice": the browser's). */
export function languageField(field: string, options: { required: boolean; allowNone: boolean }): ValidationChain {
  const allowed: readonly string[] = options.allowNone ? [...SUPPORTED_LANGUAGES, ''] : SUPPORTED_LANGUAGES;
  return singleString(field, 'Language', options.required)
    .custom((value: string) => allowed.includes(value)).withMessage(msg('validation.language.unsupported', { languages: SUPPORTED_LANGUAGES.join(', ') }));
}

/** An optional free-form string such as `next`: only its type and length are checked here. */
export function optionalText(field: string, max = 2048): ValidationChain {
  return singleString(field, field, false).isLength({ max }).withMessage(`${field} is too long.`);
}
