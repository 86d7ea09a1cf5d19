import { makeTestApp } from '../helpers/make-app';
import { definePaginationFlows, PAGINATION_TEST_ENV } from '../flows/pagination.flows';

describe('keyset pagination on SQLite', () => {
  definePaginationFlows(() => makeTestApp({ env: PAGINATION_TEST_ENV }));
});
