import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Config, ConfigError, decodeDataKey } from './env';

/**
 * The key that encrypts data at rest (TOTP secrets) and keys the recovery-code digests:
 * DATA_ENCRYPTION_KEY when it is set (required in production), otherwise, like the development
 * signing keys, a random key generated once into keys/data-encryption.key (git-ignored).
 * Losing it voids every authenticator app and recovery code; nothing else depends on it.
 */
export function loadDataKey(config: Config, options: { generateIfMissing?: boolean } = {}): Buffer {
  const { dataKey, dataKeyFile } = config.mfa;
  if (dataKey !== undefined) {
    const key = decodeDataKey(dataKey);
    if (!key) throw new ConfigError(['DATA_ENCRYPTION_KEY must be 32 random bytes in base64']);
    return key;
  }
  if (config.isProduction) throw new ConfigError(['DATA_ENCRYPTION_KEY is required in production']);
  if (!fs.existsSync(dataKeyFile)) {
    if (!options.generateIfMissing) throw new ConfigError([`DATA_ENCRYPTION_KEY is not set and ${dataKeyFile} does not exist (start the app once in development, or set DATA_ENCRYPTION_KEY)`]);
    writeDataKeyFile(dataKeyFile);
  }
  const key = decodeDataKey(fs.readFileSync(dataKeyFile, 'utf8').trim());
  if (!key) throw new ConfigError([`${dataKeyFile} does not hold a base64 key of 32 bytes: delete it to have a new one generated`]);
  return key;
}

/**
 * Written to a temporary file and linked into place, so two processes starting at once
 * never read a half-written key: the one that loses the race reads the winner's.
 */
function writeDataKeyFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temporary, `${crypto.randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  try {
    fs.linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.unlinkSync(temporary);
  }
}
