import fs from 'node:fs';
import { Clock, secondsSinceEpoch, systemClock } from '../lib/clock';
import { Config, ConfigError } from './env';
import { readKeyFilesSync, writeKeyPair as writePair } from './key-files';
import { AsymmetricAlgorithm, assembleKeys, keysFromSecret } from './key-material';
import { KeyRing, parseKeyFiles } from './key-ring';

export type { PublicJwk, SigningKeys } from './key-material';
export { deriveSecret, generateKeyPairPem, keysFromPem, keysFromSecret, liveSecrets, verificationKeyFor } from './key-material';
export { KeyRing } from './key-ring';

/**
 * Loads the keys for the configured algorithm, as a ring that server.ts watches for rotations:
 * RS256/ES256 from JWT_PRIVATE_KEY_FILE, JWT_PUBLIC_KEY_FILE and JWT_PREVIOUS_KEYS_DIR; HS256
 * from JWT_SECRET and JWT_SECRET_PREVIOUS. In development, a missing pair is generated.
 */
export function loadKeys(config: Config, options: { generateIfMissing?: boolean; clock?: Clock } = {}): KeyRing {
  const { jwt } = config;
  const clock = options.clock ?? systemClock;
  if (jwt.algorithm === 'HS256') return new KeyRing(keysFromSecret(jwt.secret ?? '', jwt.previousSecret), jwt, undefined, clock);

  const missing = [jwt.privateKeyFile, jwt.publicKeyFile].filter((file) => !fs.existsSync(file));
  if (missing.length > 0) {
    if (!options.generateIfMissing || config.isProduction) {
      throw new ConfigError(missing.map((file) => `key file ${file} does not exist (run npm run keys)`));
    }
    writePair(jwt.algorithm, jwt);
  }
  const files = parseKeyFiles(readKeyFilesSync(jwt), jwt);
  const keys = assembleKeys(jwt.algorithm, files.current, files.previous, secondsSinceEpoch(clock));
  // No signature yet: the first reload parses the files once more and, finding the same keys, changes nothing.
  return new KeyRing(keys, jwt, { ...files, signature: '' }, clock);
}

/** A fresh pair for the algorithm at these paths (npm run keys, and the development start-up). */
export function writeKeyPair(algorithm: AsymmetricAlgorithm, privateKeyFile: string, publicKeyFile: string): void {
  writePair(algorithm, { privateKeyFile, publicKeyFile });
}
