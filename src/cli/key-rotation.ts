import fs from 'node:fs';
import type { Config } from '../config/env';
import {
  KeyLockError, previousKeyPath, previousKidsSync, readKeyPairSync, replaceKeyPair, withKeyLock, writePreviousKey,
} from '../config/key-files';
import { AsymmetricAlgorithm, generateKeyPairPem, ParsedKey, parseKeyPair } from '../config/key-material';
import { KID_PATTERN, parsePreviousKeyFile, previousKeyFile, previousKeyFileName, retirementOf } from '../config/previous-keys';
import { Clock, secondsSinceEpoch, systemClock } from '../lib/clock';
import { CliError } from './run-cli';

/**
 * The key changes behind npm run keys, keys:rotate and keys:retire. They change files only;
 * every running instance notices within JWT_KEYS_RELOAD_INTERVAL (config/key-ring.ts).
 */
export const MESSAGES = {
  hs256: 'HS256 signs with JWT_SECRET from the environment, not with key files: rotate it with JWT_SECRET_PREVIOUS (docs/key-rotation.md).',
  noPair: (file: string) => `There is no current key pair (${file} is missing): run npm run keys first.`,
  brokenPair: (problems: string[]) => `The current key pair cannot be used: ${problems.join('; ')}. Fix it, or run npm run keys (every session ends).`,
  notAKid: (kid: string) => `"${kid}" is not a key id: a kid is 43 characters of A-Z, a-z, 0-9, - and _.`,
  isCurrent: (kid: string) => `Refused: ${kid} is the current signing key. Run npm run keys:rotate first; it becomes a previous key you can retire once its tokens have expired.`,
  unknown: (kid: string, dir: string, known: string[]) => `There is no previous key ${kid} in ${dir} (previous keys: ${known.length > 0 ? known.join(', ') : 'none'}).`,
  stillValid: (kid: string, until: Date) => `Refused: tokens signed with ${kid} may be valid until ${until.toISOString()}. Retire it after that, or add --force to end those sessions now.`,
  locked: (error: KeyLockError) => `Refused: ${error.message}.`,
};

function asymmetric(config: Config): AsymmetricAlgorithm {
  if (config.jwt.algorithm === 'HS256') throw new CliError(MESSAGES.hs256);
  return config.jwt.algorithm;
}

function locked<T>(config: Config, task: () => T): T {
  try {
    return withKeyLock(config.jwt, task);
  } catch (error) {
    if (error instanceof KeyLockError) throw new CliError(MESSAGES.locked(error));
    throw error;
  }
}

function readCurrentKey(config: Config, algorithm: AsymmetricAlgorithm): ParsedKey {
  const missing = [config.jwt.privateKeyFile, config.jwt.publicKeyFile].find((file) => !fs.existsSync(file));
  if (missing) throw new CliError(MESSAGES.noPair(missing));
  const { privatePem, publicPem } = readKeyPairSync(config.jwt);
  try {
    return parseKeyPair(algorithm, privatePem, publicPem);
  } catch (error) {
    throw new CliError(MESSAGES.brokenPair((error as { problems?: string[] }).problems ?? [String(error)]));
  }
}

export interface Rotation {
  kid: string;
  previousKid: string;
  /** When the previous key may be retired without ending anyone's session. */
  retirableAt: Date;
}

/**
 * npm run keys:rotate. The outgoing key's file is written before the pair is replaced, so any
 * instance that loads the new pair finds the old key among the previous ones.
 */
export function rotateKeys(config: Config, clock: Clock = systemClock): Rotation {
  const algorithm = asymmetric(config);
  return locked(config, () => {
    const outgoing = readCurrentKey(config, algorithm);
    writePreviousKey(config.jwt.previousKeysDir, previousKeyFile(algorithm, outgoing, clock.now()));
    const pems = generateKeyPairPem(algorithm);
    replaceKeyPair(config.jwt, pems);
    const incoming = parseKeyPair(algorithm, pems.privatePem, pems.publicPem);
    const retirableAt = new Date(retirementOf(secondsSinceEpoch(clock), config.jwt) * 1000);
    return { kid: incoming.kid, previousKid: outgoing.kid, retirableAt };
  });
}

/** npm run keys:retire -- KID [--force]: removes a previous key, refused while its tokens may be valid. */
export function retireKey(config: Config, kid: string, options: { force: boolean }, clock: Clock = systemClock): { forced: boolean } {
  const algorithm = asymmetric(config);
  if (!KID_PATTERN.test(kid)) throw new CliError(MESSAGES.notAKid(kid));
  return locked(config, () => {
    if (readCurrentKey(config, algorithm).kid === kid) throw new CliError(MESSAGES.isCurrent(kid));
    const dir = config.jwt.previousKeysDir;
    const file = previousKeyPath(dir, kid);
    if (!fs.existsSync(file)) throw new CliError(MESSAGES.unknown(kid, dir, previousKidsSync(dir)));
    let stillValid = true;
    try {
      const key = parsePreviousKeyFile(previousKeyFileName(kid), fs.readFileSync(file, 'utf8'), config.jwt);
      stillValid = secondsSinceEpoch(clock) < key.retiresAt;
      if (stillValid && !options.force) throw new CliError(MESSAGES.stillValid(kid, new Date(key.retiresAt * 1000)));
    } catch (error) {
      // A damaged file verifies nothing anyway; --force removes it, without it the problem is shown.
      if (error instanceof CliError || !options.force) throw error;
    }
    fs.rmSync(file);
    return { forced: stillValid };
  });
}

/** npm run keys: a fresh pair, and no previous key: every token signed before stops verifying. */
export function replaceAllKeys(config: Config): { kid: string; removed: string[] } {
  const algorithm = asymmetric(config);
  return locked(config, () => {
    const pems = generateKeyPairPem(algorithm);
    replaceKeyPair(config.jwt, pems);
    const removed = previousKidsSync(config.jwt.previousKeysDir);
    for (const kid of removed) fs.rmSync(previousKeyPath(config.jwt.previousKeysDir, kid), { force: true });
    return { kid: parseKeyPair(algorithm, pems.privatePem, pems.publicPem).kid, removed };
  });
}

/** An RFC 7638 thumbprint: SHA-256 in base64url, 43 characters. */
const KID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * `KID [--force]`, in any order. A kid is a base64url thumbprint, which may begin with "-" or
 * even "--" (node's parseArgs takes "-IUa…" for a cluster of short options and refuses it): a
 * word shaped like a kid is the kid; other words beginning with "-" are options.
 */
export function parseRetireArguments(argv: string[]): { kid: string; force: boolean } | 'help' | 'usage' | { unknownOption: string } {
  const words = argv.filter((word) => word !== '--');
  const options = words.filter((word) => word.startsWith('-') && !KID_SHAPE.test(word));
  const unknown = options.find((word) => !['--force', '--help', '-h'].includes(word));
  if (unknown !== undefined) return { unknownOption: unknown };
  if (options.includes('--help') || options.includes('-h')) return 'help';
  const kids = words.filter((word) => !options.includes(word));
  if (kids.length !== 1) return 'usage';
  return { kid: kids[0]!, force: options.includes('--force') };
}
