import crypto from 'node:crypto';
import { loadConfig, loadDotEnv } from '../config/env';
import { replaceAllKeys } from './key-rotation';
import { runCli } from './run-cli';

/**
 * npm run keys: writes a fresh key pair for JWT_ALGORITHM to JWT_PRIVATE_KEY_FILE and
 * JWT_PUBLIC_KEY_FILE, and removes every previous key. Every token signed before stops
 * verifying: every session ends, on running instances too (within JWT_KEYS_RELOAD_INTERVAL).
 * To change keys without ending sessions, use npm run keys:rotate.
 */
runCli(async () => {
  loadDotEnv();
  const config = loadConfig(undefined, undefined, { forKeyGeneration: true });
  const { algorithm, privateKeyFile, publicKeyFile } = config.jwt;
  if (algorithm === 'HS256') {
    console.log('HS256 signs with JWT_SECRET, not key files. A fresh secret you can use:');
    console.log(`JWT_SECRET=${crypto.randomBytes(48).toString('base64url')}`);
    return;
  }
  const { kid, removed } = replaceAllKeys(config);
  console.log(`Wrote a new ${algorithm} key pair (kid ${kid}):\n  ${privateKeyFile}\n  ${publicKeyFile}`);
  if (removed.length > 0) console.log(`Removed the previous keys ${removed.join(', ')}.`);
  console.log('Tokens signed with any earlier key no longer verify: every session ends.');
});
