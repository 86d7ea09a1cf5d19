import type { Config } from '../config/env';
import type { SigningKeys } from '../config/keys';
import type { Db } from '../db/knex';
import type { Readiness } from '../lib/readiness';
import type { RateLimits } from '../middleware/rate-limit';
import type { Services } from '../services';

/** Everything a router needs, built once by createApp. */
export interface AppContext {
  config: Config;
  db: Db;
  keys: SigningKeys;
  services: Services;
  rateLimits: RateLimits;
  readiness: Readiness;
}
