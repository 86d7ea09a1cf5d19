import { languageField, optionalText } from './fields';

/** The language switcher (POST /language): a language and the page to return to. */
export const languageSwitch = [
  languageField('lang', { required: true, allowNone: false }),
  optionalText('next'),
];
