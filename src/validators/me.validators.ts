import { confirmationField, emailField, LABELS, languageField, nameField, newPasswordField, optionalPasswordField, passwordField } from './fields';

export const profileUpdate = [
  nameField('first_name'),
  nameField('second_name'),
  emailField({ required: false }),
  optionalPasswordField('current_password', LABELS.currentPassword),
  languageField('language', { required: false, allowNone: true }),
];

export const passwordChangeForm = [
  passwordField('current_password', LABELS.currentPassword),
  // The username and email are checked again by the service, which knows them.
  newPasswordField('new_password', () => ({})),
  confirmationField('password_confirmation', 'new_password', true),
];

