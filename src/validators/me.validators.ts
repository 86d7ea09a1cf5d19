import { emailField, nameField, newPasswordField, confirmationField, passwordField } from './fields';

export const profileUpdate = [
  nameField('first_name'),
  nameField('second_name'),
  emailField({ required: false }),
  passwordField('current_password', 'Current password').optional({ values: 'falsy' }),
];

export const passwordChangeForm = [
  passwordField('current_password', 'Current password'),
  // The username and email are checked again by the service, which knows them.
  newPasswordField('new_password', () => ({})),
  confirmationField('password_confirmation', 'new_password', true),
];

