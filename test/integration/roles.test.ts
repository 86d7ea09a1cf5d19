import { makeTestApp } from '../helpers/make-app';
import { defineRolesFlows, ROLES_TEST_ENV } from '../flows/roles.flows';

describe('roles at work on SQLite', () => {
  defineRolesFlows(() => makeTestApp({ env: ROLES_TEST_ENV }));
});
