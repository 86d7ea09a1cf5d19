import { makeTestApp } from '../helpers/make-app';
import { defineTranslatedPagesFlows } from '../flows/translated-pages.flows';

describe('translated pages, mails and API errors on SQLite', () => {
  defineTranslatedPagesFlows((env) => makeTestApp({ env }));
});
