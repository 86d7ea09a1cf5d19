import crypto from 'node:crypto';
import type { Knex } from 'knex';

/** A users row written straight to the table, past every check of the app: only the database decides. */
export function rawUserRow(username: string, email: string) {
  const now = new Date();
  return {
    public_id: crypto.randomUUID(), username, email, password_hash: '$2b$04$invalidinvalidinvalidinvalidinvalidinvalidinvalidinval',
    token_version: 0, created_at: now, updated_at: now,
  };
}

/** The error a raw insert fails with, or undefined when the database accepted it. */
export async function rawInsertError(db: Knex, username: string, email: string): Promise<{ code?: string } | undefined> {
  try {
    await db('users').insert(rawUserRow(username, email));
    return undefined;
  } catch (error) {
    return error as { code?: string };
  }
}
