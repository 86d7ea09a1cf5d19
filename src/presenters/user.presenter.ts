import type { UserRow } from '../models/user.model';

/**
 * The only shape of a user that reaches a view or a JSON body: no password_hash, no
 * token_version, no internal id. `id` is the public UUID (the token's `sub`).
 */
export interface PublicUser {
  id: string;
  username: string;
  email: string;
  first_name: string | null;
  second_name: string | null;
  is_reader: boolean;
  is_author: boolean;
  is_admin: boolean;
  is_active: boolean;
  is_verified: boolean;
  /** The saved language, or null when the user has not chosen one. */
  language: string | null;
  last_login_at: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * A row read once serves many requests (the revocation check's cache keeps it for a second), so
 * its public shape is made once per row object, and frozen since every one of those requests shares it.
 * Rows are never changed in place: a change is a new read, hence a new row object.
 */
const presented = new WeakMap<UserRow, Readonly<PublicUser>>();

export function toPublicUser(user: UserRow): PublicUser {
  let shown = presented.get(user);
  if (!shown) {
    shown = Object.freeze(present(user));
    presented.set(user, shown);
  }
  return shown;
}

function present(user: UserRow): PublicUser {
  return {
    id: user.public_id,
    username: user.username,
    email: user.email,
    first_name: user.first_name,
    second_name: user.second_name,
    is_reader: user.is_reader,
    is_author: user.is_author,
    is_admin: user.is_admin,
    is_active: user.is_active,
    is_verified: user.is_verified,
    language: user.language,
    last_login_at: user.last_login_at ? user.last_login_at.toISOString() : null,
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
  };
}

/** Second factors as the API shows them: whether an authenticator app is on, how many passkeys and unused recovery codes. */
export interface PublicMfa {
  totp: boolean;
  passkeys: number;
  recovery_codes_left: number;
}

export function toPublicMfa(status: { totp: boolean; passkeys: number; recoveryCodesLeft: number }): PublicMfa {
  return { totp: status.totp, passkeys: status.passkeys, recovery_codes_left: status.recoveryCodesLeft };
}
