import { body } from 'express-validator';
import { msg } from '../lib/i18n';
import { confirmationField, emailField, FIELD_MESSAGES, LABELS, nameField, newPasswordField, optionalText, passwordField, usernameField } from './fields';

const identityOf = (req: { body?: Record<string, unknown> }) => ({
  username: typeof req.body?.username === 'string' ? req.body.username : undefined,
  email: typeof req.body?.email === 'string' ? req.body.email : undefined,
});

export const registerForm = [
  usernameField(),
  emailField(),
  newPasswordField('password', identityOf),
  confirmationField('password_confirmation', 'password', true),
  nameField('first_name'),
  nameField('second_name'),
];

/** The API asks for the confirmation only if it is sent; a script has no typo to catch. */
export const registerApi = [
  usernameField(),
  emailField(),
  newPasswordField('password', identityOf),
  confirmationField('password_confirmation', 'password', false),
  nameField('first_name'),
  nameField('second_name'),
];

function loginField(field: string) {
  return body(field)
    .exists({ values: 'undefined' }).withMessage(FIELD_MESSAGES.required(LABELS.login)).bail()
    .custom((value) => typeof value === 'string').withMessage(FIELD_MESSAGES.notText(LABELS.login)).bail()
    .trim()
    .notEmpty().withMessage(FIELD_MESSAGES.required(LABELS.login)).bail()
    .isLength({ max: 254 }).withMessage(FIELD_MESSAGES.loginTooLong).bail()
    // Usernames and addresses are printable ASCII. Anything else could only ever match through
    // MySQL's accent- and width-folding collation ("ａｌｉｃｅ" = "alice"): refuse it up front.
    .matches(/^[\x21-\x7e]+$/).withMessage(FIELD_MESSAGES.login);
}

/** "Remember me": a checkbox, "1" when ticked; absent (or anything else) is unticked. */
export const rememberField = () => optionalText('remember', 8);

/** What a ticked box sends: "1" from our form, "on" from a box without a value, "true" or "yes" from scripts. */
const TICKED = new Set(['1', 'on', 'true', 'yes']);
export const isTicked = (value: string | undefined): boolean => value !== undefined && TICKED.has(value.toLowerCase());

export const loginForm = [loginField('login'), passwordField('password'), optionalText('next'), rememberField()];

/** The API also takes `username` or `email` in place of `login`. */
export const loginApi = [
  body('login').custom((_value, { req }) => {
    const present = ['login', 'username', 'email'].filter((field) => req.body?.[field] !== undefined);
    if (present.length === 0) throw FIELD_MESSAGES.required(LABELS.login);
    return true;
  }),
  ...['login', 'username', 'email'].map((field) => loginField(field).optional({ values: 'undefined' })),
  passwordField('password'),
];

export const refreshApi = [
  body('refresh_token')
    .exists({ values: 'undefined' }).withMessage(msg('validation.refreshToken.required')).bail()
    .custom((value) => typeof value === 'string' && value.length > 0 && value.length <= 4096)
    .withMessage(msg('validation.refreshToken.notText')),
];
