import crypto from 'node:crypto';
import type {
  AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A software authenticator for the integration tests: a real P-256 key pair per credential, real
 * authenticator data, a real ECDSA signature over it, so @simplewebauthn/server verifies what it
 * would verify from a browser. (The browser tests use Chromium's own virtual authenticator.)
 */
export interface SoftCredential {
  id: string;
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  userHandle: string;
  counter: number;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest();

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter);
  return bytes;
}

function coseKey(publicKey: crypto.KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  const map = new Map<number, number | Uint8Array>([
    [1, 2], [3, -7], [-1, 1], [-2, isoBase64URL.toBuffer(jwk.x)], [-3, isoBase64URL.toBuffer(jwk.y)],
  ]);
  return isoCBOR.encode(map);
}

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
}

export interface SoftOptions {
  origin?: string;
  rpId?: string;
  userVerified?: boolean;
}

export function createCredential(options: PublicKeyCredentialCreationOptionsJSON, soft: SoftOptions = {}): { credential: SoftCredential; response: RegistrationResponseJSON } {
  const origin = soft.origin ?? 'http://127.0.0.1:3000';
  const rpId = soft.rpId ?? options.rp.id ?? '127.0.0.1';
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const rawId = crypto.randomBytes(32);
  const flags = FLAG_UP | FLAG_AT | (soft.userVerified === false ? 0 : FLAG_UV);
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(rawId.length);
  const authData = Buffer.concat([sha256(rpId), Buffer.from([flags]), counterBytes(0), Buffer.alloc(16), idLength, rawId, Buffer.from(coseKey(publicKey))]);
  const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', new Uint8Array(authData)]]) as never);
  const id = isoBase64URL.fromBuffer(new Uint8Array(rawId));
  const response: RegistrationResponseJSON = {
    id,
    rawId: id,
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON: isoBase64URL.fromBuffer(new Uint8Array(clientData('webauthn.create', options.challenge, origin))),
      attestationObject: isoBase64URL.fromBuffer(attestationObject),
      transports: ['internal'],
    },
  };
  return { credential: { id, privateKey, publicKey, userHandle: options.user.id, counter: 0 }, response };
}

/** Signs an assertion; the counter moves forward by one unless `counter` says otherwise (a clone replays an old one). */
export function getAssertion(
  options: PublicKeyCredentialRequestOptionsJSON, credential: SoftCredential, soft: SoftOptions & { counter?: number; withUserHandle?: boolean } = {},
): AuthenticationResponseJSON {
  const origin = soft.origin ?? 'http://127.0.0.1:3000';
  const rpId = soft.rpId ?? options.rpId ?? '127.0.0.1';
  const counter = soft.counter ?? credential.counter + 1;
  credential.counter = Math.max(credential.counter, counter);
  const flags = FLAG_UP | (soft.userVerified === false ? 0 : FLAG_UV);
  const authData = Buffer.concat([sha256(rpId), Buffer.from([flags]), counterBytes(counter)]);
  const data = clientData('webauthn.get', options.challenge, origin);
  const signature = crypto.sign('sha256', Buffer.concat([authData, sha256(data)]), credential.privateKey);
  return {
    id: credential.id,
    rawId: credential.id,
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON: isoBase64URL.fromBuffer(new Uint8Array(data)),
      authenticatorData: isoBase64URL.fromBuffer(new Uint8Array(authData)),
      signature: isoBase64URL.fromBuffer(new Uint8Array(signature)),
      ...(soft.withUserHandle === false ? {} : { userHandle: credential.userHandle }),
    },
  };
}
