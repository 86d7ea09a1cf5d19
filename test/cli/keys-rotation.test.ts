import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from '../../src/config/env';
import { keysFromPem } from '../../src/config/keys';
import { parsePreviousKeyFile } from '../../src/config/previous-keys';
import { entryArgs } from '../helpers/entry';
import { KeyDir, makeKeyDir } from '../helpers/key-dir';

jest.setTimeout(60_000);

/** Runs a command the way `npm run` does, with only the variables given (no .env of the developer's). */
function run(script: string, args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [...entryArgs(script), ...args], {
    cwd: ROOT_DIR,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const rotate = (keyDir: KeyDir, args: string[] = []) => run('src/cli/keys-rotate.ts', args, keyDir.env);
const retire = (keyDir: KeyDir, args: string[]) => run('src/cli/keys-retire.ts', args, keyDir.env);

function currentKid(keyDir: KeyDir): string {
  const { algorithm, privateKeyFile, publicKeyFile } = keyDir.config().jwt;
  return keysFromPem(algorithm as 'RS256', fs.readFileSync(privateKeyFile, 'utf8'), fs.readFileSync(publicKeyFile, 'utf8')).kid;
}

const previousDir = (keyDir: KeyDir) => path.join(keyDir.dir, 'previous');
const previousFile = (keyDir: KeyDir, kid: string) => path.join(previousDir(keyDir), `${kid}.json`);

describe.each(['RS256', 'ES256'] as const)('npm run keys:rotate with %s', (algorithm) => {
  let keyDir: KeyDir;
  beforeEach(() => { keyDir = makeKeyDir(algorithm); });
  afterEach(() => keyDir.cleanup());

  it('makes a new pair current and keeps the old public key, 0600, with when it stopped signing; the old private key is gone', () => {
    const oldKid = currentKid(keyDir);
    const oldPrivatePem = fs.readFileSync(keyDir.env.JWT_PRIVATE_KEY_FILE!, 'utf8');
    const startedAt = Date.now();
    const result = rotate(keyDir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const kid = currentKid(keyDir);
    expect(kid).not.toBe(oldKid);
    expect(result.stdout).toContain(`current:  kid ${kid}`);
    expect(result.stdout).toContain(`previous: kid ${oldKid}`);
    expect(result.stdout).toContain(`npm run keys:retire -- ${oldKid}`);
    expect(fs.statSync(keyDir.env.JWT_PRIVATE_KEY_FILE!).mode & 0o077).toBe(0);

    const file = previousFile(keyDir, oldKid);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    const previous = parsePreviousKeyFile(`${oldKid}.json`, fs.readFileSync(file, 'utf8'), keyDir.config().jwt);
    expect(previous.kid).toBe(oldKid);
    expect(previous.stoppedSigningAt * 1000).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) * 1000);
    expect(previous.stoppedSigningAt * 1000).toBeLessThanOrEqual(Date.now());
    const everything = fs.readdirSync(keyDir.dir, { recursive: true }).map(String)
      .filter((name) => fs.statSync(path.join(keyDir.dir, name)).isFile())
      .map((name) => fs.readFileSync(path.join(keyDir.dir, name), 'utf8'));
    expect(everything.some((text) => text.includes(oldPrivatePem.split('\n')[1]!))).toBe(false);
    expect(fs.readdirSync(previousDir(keyDir))).toEqual([`${oldKid}.json`]); // no temporary or lock file left
  });

  it('twice keeps both previous keys', () => {
    const first = currentKid(keyDir);
    expect(rotate(keyDir).code).toBe(0);
    const second = currentKid(keyDir);
    expect(rotate(keyDir).code).toBe(0);
    expect(fs.readdirSync(previousDir(keyDir)).sort()).toEqual([`${first}.json`, `${second}.json`].sort());
  });

  it('without a current pair exits 1, asking for npm run keys, and writes nothing', () => {
    fs.rmSync(keyDir.env.JWT_PUBLIC_KEY_FILE!);
    const result = rotate(keyDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('There is no current key pair');
    expect(result.stderr).toContain('run npm run keys first');
    expect(fs.existsSync(keyDir.env.JWT_PUBLIC_KEY_FILE!)).toBe(false);
    expect(fs.readdirSync(previousDir(keyDir))).toEqual([]);
  });

  it('refuses while another key change holds the lock, and changes nothing', () => {
    const kid = currentKid(keyDir);
    fs.mkdirSync(previousDir(keyDir), { recursive: true });
    fs.writeFileSync(path.join(previousDir(keyDir), '.lock'), '');
    const result = rotate(keyDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('another key change is running');
    expect(currentKid(keyDir)).toBe(kid);
  });

  it('takes no arguments', () => {
    const result = rotate(keyDir, ['now']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('keys:rotate takes no arguments');
  });
});

describe('npm run keys:retire', () => {
  let keyDir: KeyDir;
  let oldKid: string;
  beforeEach(() => {
    keyDir = makeKeyDir('ES256');
    oldKid = currentKid(keyDir);
    expect(rotate(keyDir).code).toBe(0);
  });
  afterEach(() => keyDir.cleanup());

  it('refuses, exit 1, while tokens signed with the key may still be valid, saying until when; the key stays', () => {
    const result = retire(keyDir, [oldKid]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^Refused: tokens signed with ${oldKid} may be valid until \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\. Retire it after that, or add --force`));
    expect(fs.existsSync(previousFile(keyDir, oldKid))).toBe(true);
  });

  it('with --force removes the key at once', () => {
    const result = retire(keyDir, [oldKid, '--force']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Retired ${oldKid} with --force`);
    expect(fs.existsSync(previousFile(keyDir, oldKid))).toBe(false);
  });

  it('without --force removes a key whose every token has expired', () => {
    const file = previousFile(keyDir, oldKid);
    const content = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...content, stoppedSigningAt: new Date(Date.now() - 8 * 86400_000).toISOString() }));
    const result = retire(keyDir, [oldKid]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Retired ${oldKid}: every token it signed had expired`);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses the current key, even with --force', () => {
    const kid = currentKid(keyDir);
    const result = retire(keyDir, [kid, '--force']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Refused: ${kid} is the current signing key`);
    expect(currentKid(keyDir)).toBe(kid);
  });

  it('names the previous keys when the kid is not one of them', () => {
    const result = retire(keyDir, ['A'.repeat(43)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`There is no previous key ${'A'.repeat(43)}`);
    expect(result.stderr).toContain(`(previous keys: ${oldKid})`);
  });

  it.each([['../private'], ['../public.pem'], ['*'], ['']])('refuses %p as a kid and deletes nothing', (kid) => {
    const result = retire(keyDir, [kid, '--force']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is not a key id|Name exactly one kid/);
    expect(fs.readdirSync(keyDir.dir).sort()).toEqual(['previous', 'private.pem', 'public.pem']);
    expect(fs.existsSync(previousFile(keyDir, oldKid))).toBe(true);
  });

  it('needs exactly one kid, and knows no other option', () => {
    expect(retire(keyDir, []).stderr).toContain('Name exactly one kid to retire.');
    const unknown = retire(keyDir, [oldKid, '--now']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Unknown option '--now'");
  });
});

describe('npm run keys after rotations', () => {
  it('writes a fresh pair, removes every previous key and says that every session ends', () => {
    const keyDir = makeKeyDir('RS256');
    try {
      const first = currentKid(keyDir);
      expect(rotate(keyDir).code).toBe(0);
      const result = run('src/cli/keys.ts', [], keyDir.env);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Removed the previous keys ${first}.`);
      expect(result.stdout).toContain('every session ends');
      expect(fs.readdirSync(previousDir(keyDir))).toEqual([]);
    } finally {
      keyDir.cleanup();
    }
  });
});

describe('with HS256', () => {
  const env = { JWT_ALGORITHM: 'HS256', JWT_SECRET: 'the-current-hs256-secret-of-32-bytes-or-more' };

  it('keys:rotate prints a fresh secret and the JWT_SECRET_PREVIOUS steps, and changes nothing', () => {
    const result = run('src/cli/keys-rotate.ts', [], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('JWT_SECRET_PREVIOUS');
    const secret = /^ {2}(\S{32,})$/m.exec(result.stdout)?.[1];
    expect(Buffer.byteLength(secret ?? '')).toBeGreaterThanOrEqual(32);
  });

  it('keys:retire exits 1: the previous secret is retired by unsetting JWT_SECRET_PREVIOUS', () => {
    const result = run('src/cli/keys-retire.ts', ['A'.repeat(43)], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('rotate it with JWT_SECRET_PREVIOUS');
  });
});
