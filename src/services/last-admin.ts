import { Db, engineOf } from '../db/knex';
import * as Users from '../models/user.model';

/**
 * The rule that the site always keeps an active admin, shared by the admin's role changes
 * (admin.service.ts) and a user deleting their own account (account.service.ts).
 *
 * The ids of the active admins, read inside `trx`: on MySQL their rows stay locked until it
 * ends, so two admins demoting (or deleting) each other at the same moment cannot both succeed.
 * SQLite has one writer at a time, which serialises them anyway.
 */
export function lockActiveAdminIds(db: Db, trx: Db): Promise<number[]> {
  return Users.listActiveAdminIds(trx, { forUpdate: engineOf(db) === 'mysql' });
}

/** True when taking the admin role (or the account) from `userId` would leave no active admin. */
export function isLastActiveAdmin(activeAdminIds: readonly number[], userId: number): boolean {
  return activeAdminIds.length === 1 && activeAdminIds[0] === userId;
}
