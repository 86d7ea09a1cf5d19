import { makeTestApp } from '../helpers/make-app';
import { defineLanguageFlows, LANGUAGES_TEST_ENV } from '../flows/languages.flows';

describe('languages on SQLite', () => {
  defineLanguageFlows(() => makeTestApp({ env: LANGUAGES_TEST_ENV }));
});
