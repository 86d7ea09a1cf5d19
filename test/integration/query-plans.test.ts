import { makeTestApp } from '../helpers/make-app';
import { defineQueryPlanFlows, QUERY_PLANS_ENV } from '../flows/query-plans.flows';

describe('query plans on SQLite, without statistics (as a fresh install runs)', () => {
  defineQueryPlanFlows(() => makeTestApp({ env: QUERY_PLANS_ENV }));
});

describe('query plans on SQLite, after ANALYZE', () => {
  defineQueryPlanFlows(() => makeTestApp({ env: QUERY_PLANS_ENV }), { analyze: true });
});
