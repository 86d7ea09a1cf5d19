import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './env';
import { AsymmetricAlgorithm, generateKeyPairPem } from './key-material';
import { KID_PATTERN, PreviousKeyFile, previousKeyFileName } from './previous-keys';

type JwtFiles = Pick<Config['jwt'], 'privateKeyFile' | 'publicKeyFile' | 'previousKeysDir'>;

export interface KeyFileContents {
  privatePem: string;
  publicPem: string;
  previous: { name: string; text: string }[];
}

const isPreviousKeyName = (name: string) => name.endsWith('.json') && KID_PATTERN.test(name.slice(0, -'.json'.length));
const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

export function readKeyPairSync(jwt: Pick<JwtFiles, 'privateKeyFile' | 'publicKeyFile'>): { privatePem: string; publicPem: string } {
  return { privatePem: fs.readFileSync(jwt.privateKeyFile, 'utf8'), publicPem: fs.readFileSync(jwt.publicKeyFile, 'utf8') };
}

/** At start-up, before anything is served. */
export function readKeyFilesSync(jwt: JwtFiles): KeyFileContents {
  const { privatePem, publicPem } = readKeyPairSync(jwt);
  const previous = previousKeyNamesSync(jwt.previousKeysDir).flatMap((name) => {
    try {
      return [{ name, text: fs.readFileSync(path.join(jwt.previousKeysDir, name), 'utf8') }];
    } catch (error) {
      if (isMissing(error)) return []; // retired while we listed the directory
      throw error;
    }
  });
  return { privatePem, publicPem, previous };
}

/**
 * While serving: never blocks the event loop. The pair is read before the directory: a rotation
 * writes the outgoing key's file before it replaces the pair, so whoever sees the new pair also
 * sees the old key among the previous ones.
 */
export async function readKeyFiles(jwt: JwtFiles): Promise<KeyFileContents> {
  const privatePem = await fs.promises.readFile(jwt.privateKeyFile, 'utf8');
  const publicPem = await fs.promises.readFile(jwt.publicKeyFile, 'utf8');
  const previous: KeyFileContents['previous'] = [];
  for (const name of await previousKeyNames(jwt.previousKeysDir)) {
    try {
      previous.push({ name, text: await fs.promises.readFile(path.join(jwt.previousKeysDir, name), 'utf8') });
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
  return { privatePem, publicPem, previous };
}

/**
 * What the key files look like from outside (inode, size, times), without reading them: the
 * ring parses them again only when this changes. An atomic replacement is a new inode.
 */
export async function keyFilesSignature(jwt: JwtFiles): Promise<string> {
  const files = [jwt.privateKeyFile, jwt.publicKeyFile,
    ...(await previousKeyNames(jwt.previousKeysDir)).map((name) => path.join(jwt.previousKeysDir, name))];
  const parts = await Promise.all(files.map(async (file) => {
    try {
      const stat = await fs.promises.stat(file);
      return `${file}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
    } catch (error) {
      if (isMissing(error)) return `${file}:missing`;
      throw error;
    }
  }));
  return parts.join('\n');
}

/** The kids of the previous keys in the directory (by their file names). */
export function previousKidsSync(dir: string): string[] {
  return previousKeyNamesSync(dir).map((name) => name.slice(0, -'.json'.length));
}

function previousKeyNamesSync(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter(isPreviousKeyName).sort();
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

async function previousKeyNames(dir: string): Promise<string[]> {
  try {
    return (await fs.promises.readdir(dir)).filter(isPreviousKeyName).sort();
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/**
 * Writes a file so that a reader sees the old content or the new, never a part: a temporary
 * file in the same directory, flushed to disk, then renamed over the target.
 */
function writeTemporary(file: string, text: string, mode: number): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(temporary, 'wx', mode);
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return temporary;
}

export function writeFileAtomic(file: string, text: string, mode: number): void {
  fs.renameSync(writeTemporary(file, text, mode), file);
}

/**
 * Two files cannot be replaced at once. Both are written in full first, then renamed one after
 * the other; a reader between the two renames finds a public key that is not the private key's
 * half, which the ring refuses (it keeps its keys and tries again at the next interval).
 */
export function replaceKeyPair(jwt: Pick<JwtFiles, 'privateKeyFile' | 'publicKeyFile'>, pems: { privatePem: string; publicPem: string }): void {
  const privateTemporary = writeTemporary(jwt.privateKeyFile, pems.privatePem, 0o600);
  const publicTemporary = writeTemporary(jwt.publicKeyFile, pems.publicPem, 0o644);
  fs.renameSync(privateTemporary, jwt.privateKeyFile);
  fs.renameSync(publicTemporary, jwt.publicKeyFile);
}

/** A fresh pair for the algorithm, replacing whatever pair was there. */
export function writeKeyPair(algorithm: AsymmetricAlgorithm, jwt: Pick<JwtFiles, 'privateKeyFile' | 'publicKeyFile'>): void {
  replaceKeyPair(jwt, generateKeyPairPem(algorithm));
}

export function writePreviousKey(dir: string, file: PreviousKeyFile): void {
  writeFileAtomic(path.join(dir, previousKeyFileName(file.kid)), `${JSON.stringify(file, null, 2)}\n`, 0o600);
}

export function previousKeyPath(dir: string, kid: string): string {
  return path.join(dir, previousKeyFileName(kid));
}

/**
 * One key change at a time: a second rotation racing the first could make current a key whose
 * predecessor never reached the previous keys. The lock is a file created exclusively.
 */
export function withKeyLock<T>(jwt: JwtFiles, task: () => T): T {
  fs.mkdirSync(jwt.previousKeysDir, { recursive: true, mode: 0o700 });
  const lock = path.join(jwt.previousKeysDir, '.lock');
  let fd: number;
  try {
    fd = fs.openSync(lock, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyLockError(lock);
    throw error;
  }
  try {
    return task();
  } finally {
    fs.closeSync(fd);
    fs.rmSync(lock, { force: true });
  }
}

export class KeyLockError extends Error {
  constructor(readonly lockFile: string) {
    super(`another key change is running (${lockFile} exists; remove it if no keys:rotate, keys:retire or keys is running)`);
  }
}
