import { defineOutboxFlows } from '../flows/outbox.flows';
import { makeTestApp } from '../helpers/make-app';

describe('the mail outbox on SQLite', () => {
  defineOutboxFlows((options) => makeTestApp(options));
});
