import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Config, loadConfig, ROOT_DIR } from '../../src/config/env';
import { generateKeyPairPem } from '../../src/config/keys';
import { TEST_ENV } from './make-app';

export interface KeyDir {
  dir: string;
  /** The variables that point the app and the key commands at this directory. */
  env: Record<string, string>;
  config(extra?: Record<string, string>): Config;
  cleanup(): void;
}

/** A temporary key directory holding a real key pair, as `npm run keys` would leave it. */
export function makeKeyDir(algorithm: 'RS256' | 'ES256', extraEnv: Record<string, string> = {}): KeyDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-ring-'));
  const { privatePem, publicPem } = generateKeyPairPem(algorithm);
  fs.writeFileSync(path.join(dir, 'private.pem'), privatePem, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'public.pem'), publicPem);
  const env = {
    JWT_ALGORITHM: algorithm,
    JWT_PRIVATE_KEY_FILE: path.join(dir, 'private.pem'),
    JWT_PUBLIC_KEY_FILE: path.join(dir, 'public.pem'),
    ...extraEnv,
  };
  return {
    dir,
    env,
    config: (extra = {}) => loadConfig({ ...TEST_ENV, ...env, ...extra }, ROOT_DIR, { requireKeyFiles: false }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
