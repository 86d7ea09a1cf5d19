import { defineSessionFlows } from '../flows/session.flows';
import { makeTestApp } from '../helpers/make-app';

describe('refresh sessions on SQLite', () => {
  defineSessionFlows(() => makeTestApp());
});
