import crypto from 'node:crypto';
import {
  AuthenticationResponseJSON, generateAuthenticationOptions, generateRegistrationOptions, PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON, verifyAuthenticationResponse, verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import type { Db } from '../db/knex';
import type { Clock } from '../lib/clock';
import * as Passkeys from '../models/passkey.model';
import * as Challenges from '../models/webauthn-challenge.model';
import type { UserRow } from '../models/user.model';

/** A ceremony's options for the browser, and the random value its cookie carries to bind it to this browser. */
export interface PasskeyCeremony<Options> {
  binding: string;
  options: Options;
}

export type AssertionPurpose = 'sign_in' | 'second_step' | 'confirm';

export interface PasskeyAssertion {
  passkey: Passkeys.PasskeyRow;
  /** The authenticator checked the user (PIN, biometrics): with possession, two factors. */
  userVerified: boolean;
  /** The user handle the authenticator returned (a discoverable credential's owner), decoded. */
  userHandle: string | undefined;
}

export interface PasskeyService {
  registrationOptions(user: UserRow): Promise<PasskeyCeremony<PublicKeyCredentialCreationOptionsJSON>>;
  /** Verifies a new credential against this browser's challenge; undefined when it does not verify. */
  verifyRegistration(user: UserRow, binding: string, response: RegistrationResponseJSON): Promise<Passkeys.NewPasskey | undefined>;
  /** For `sign_in` no credentials are listed (usernameless: the authenticator offers its own). */
  authenticationOptions(purpose: AssertionPurpose, userId?: number): Promise<PasskeyCeremony<PublicKeyCredentialRequestOptionsJSON>>;
  /** Undefined for any failure: unknown credential, another user's, wrong challenge, origin or RP ID, bad signature, cloned counter. */
  verifyAssertion(purpose: AssertionPurpose, binding: string, response: AuthenticationResponseJSON, expectedUserId?: number): Promise<PasskeyAssertion | undefined>;
  /** Deletes expired challenges (run hourly by the server). */
  prune(): Promise<number>;
}

/** A ceremony must be finished within this: the challenge is then gone. */
export const CHALLENGE_TTL_SECONDS = 5 * 60;
const RP_NAME = 'Gatehouse';

const bindingDigest = (binding: string) => crypto.createHash('sha256').update(binding).digest('hex');

/**
 * WebAuthn through @simplewebauthn/server, which checks the challenge, origin, RP ID, signature
 * and signature counter. RP ID and origin come from APP_URL. Challenges are stored server-side,
 * bound to the browser by a random cookie value, single-use and expiring after five minutes.
 */
export function createPasskeyService(deps: { db: Db; clock: Clock; appUrl: string }): PasskeyService {
  const { db, clock } = deps;
  const appUrl = new URL(deps.appUrl);
  const rpID = appUrl.hostname;
  const expectedOrigin = appUrl.origin;

  async function issueChallenge(purpose: Challenges.ChallengePurpose, userId: number | null, challenge: string): Promise<string> {
    const binding = crypto.randomBytes(32).toString('base64url');
    const now = clock.now();
    await Challenges.insertChallenge(db, {
      binding_digest: bindingDigest(binding), challenge, purpose, user_id: userId, created_at: now,
      expires_at: new Date(now.getTime() + CHALLENGE_TTL_SECONDS * 1000),
    });
    return binding;
  }

  async function claim(purpose: Challenges.ChallengePurpose, binding: string, userId: number | undefined) {
    const row = await Challenges.claimChallenge(db, bindingDigest(binding), purpose, clock.now());
    if (!row || (userId !== undefined && row.user_id !== userId)) return undefined;
    return row;
  }

  const descriptors = async (userId: number) =>
    (await Passkeys.listPasskeysOfUser(db, userId)).map((passkey) => ({ id: passkey.credential_id, transports: passkey.transports }));

  return {
    async registrationOptions(user) {
      const options = await generateRegistrationOptions({
        rpName: RP_NAME,
        rpID,
        userName: user.username,
        userDisplayName: user.first_name || user.username,
        // The public id is random (a v4 UUID) and names no one: fit for a user handle.
        userID: new TextEncoder().encode(user.public_id),
        attestationType: 'none',
        excludeCredentials: await descriptors(user.id),
        authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
        timeout: CHALLENGE_TTL_SECONDS * 1000,
      });
      return { options, binding: await issueChallenge('register', user.id, options.challenge) };
    },

    async verifyRegistration(user, binding, response) {
      const row = await claim('register', binding, user.id);
      if (!row) return undefined;
      let verified;
      try {
        verified = await verifyRegistrationResponse({ response, expectedChallenge: row.challenge, expectedOrigin, expectedRPID: rpID, requireUserVerification: false });
      } catch {
        return undefined; // malformed, or a check failed: the browser gets one answer
      }
      if (!verified.verified) return undefined;
      const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
      return {
        user_id: user.id,
        credential_id: credential.id,
        public_key: isoBase64URL.fromBuffer(credential.publicKey),
        counter: credential.counter,
        transports: (credential.transports ?? []).filter((transport) => /^[a-z-]{1,32}$/.test(transport)),
        name: '',
        device_type: credentialDeviceType,
        backed_up: credentialBackedUp,
        created_at: clock.now(),
      };
    },

    async authenticationOptions(purpose, userId) {
      const options = await generateAuthenticationOptions({
        rpID,
        allowCredentials: userId === undefined ? [] : await descriptors(userId),
        // A passkey alone signs in only with user verification: possession plus PIN or biometrics.
        userVerification: purpose === 'sign_in' ? 'required' : 'preferred',
        timeout: CHALLENGE_TTL_SECONDS * 1000,
      });
      return { options, binding: await issueChallenge(purpose, userId ?? null, options.challenge) };
    },

    async verifyAssertion(purpose, binding, response, expectedUserId) {
      const row = await claim(purpose, binding, expectedUserId);
      if (!row || typeof response?.id !== 'string') return undefined;
      const passkey = await Passkeys.findPasskeyByCredentialId(db, response.id);
      if (!passkey || (expectedUserId !== undefined && passkey.user_id !== expectedUserId)) return undefined;
      let verified;
      try {
        verified = await verifyAuthenticationResponse({
          response,
          expectedChallenge: row.challenge,
          expectedOrigin,
          expectedRPID: rpID,
          credential: { id: passkey.credential_id, publicKey: isoBase64URL.toBuffer(passkey.public_key), counter: passkey.counter, transports: passkey.transports },
          requireUserVerification: purpose === 'sign_in',
        });
      } catch {
        return undefined; // includes a counter that went backwards: a cloned authenticator
      }
      if (!verified.verified) return undefined;
      const { newCounter, userVerified } = verified.authenticationInfo;
      if (!(await Passkeys.recordPasskeyUse(db, passkey.id, passkey.counter, newCounter, clock.now()))) return undefined;
      const handle = response.response?.userHandle;
      return { passkey, userVerified, userHandle: typeof handle === 'string' ? isoBase64URL.toUTF8String(handle) : undefined };
    },

    prune() {
      return Challenges.pruneChallenges(db, clock.now());
    },
  };
}
