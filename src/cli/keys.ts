import crypto from 'node:crypto';
import fs from 'node:fs';
import { loadConfig, loadDotEnv } from '../config/env';
import { keysFromPem, writeKeyPair } from '../config/keys';
import { runCli } from './run-cli';

/**
 * npm run keys: writes a fresh key pair for JWT_ALGORITHM to JWT_PRIVATE_KEY_FILE and
 * JWT_PUBLIC_KEY_FILE. Every token signed with the old key stops verifying: users sign in again.
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
  writeKeyPair(algorithm, privateKeyFile, publicKeyFile);
  const keys = keysFromPem(algorithm, fs.readFileSync(privateKeyFile, 'utf8'), fs.readFileSync(publicKeyFile, 'utf8'));
  console.log(`Wrote a new ${algorithm} key pair (kid ${keys.kid}):\n  ${privateKeyFile}\n  ${publicKeyFile}`);
});
