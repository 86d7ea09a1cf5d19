import bcrypt from 'bcrypt';
import { english, localize } from '../../src/lib/i18n';
import { checkPasswordPolicy, createPasswordService, PASSWORD_MESSAGES } from '../../src/services/password.service';

const passwords = createPasswordService(4);

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await passwords.hash('correct horse battery staple');
    await expect(passwords.verify('correct horse battery staple', hash)).resolves.toBe(true);
    await expect(passwords.verify('correct horse battery stapler', hash)).resolves.toBe(false);
  });

  it('counts every byte: a 100-byte password differing only after byte 72 does not verify', async () => {
    const prefix = 'p'.repeat(80);
    const original = `${prefix}${'a'.repeat(20)}`;
    const other = `${prefix}${'a'.repeat(19)}b`;
    expect(Buffer.byteLength(original)).toBe(100);
    const hash = await passwords.hash(original);
    await expect(passwords.verify(other, hash)).resolves.toBe(false);
    await expect(passwords.verify(original, hash)).resolves.toBe(true);
    // Plain bcrypt would have accepted it: this is what the pre-hash is for.
    const plain = await bcrypt.hash(original, 4);
    await expect(bcrypt.compare(other, plain)).resolves.toBe(true);
  });

  it('does not stop at a NUL byte: passwords differing after the NUL do not verify', async () => {
    const hash = await passwords.hash('abcdefgh\u0000first');
    await expect(passwords.verify('abcdefgh\u0000second', hash)).resolves.toBe(false);
    await expect(passwords.verify('abcdefgh', hash)).resolves.toBe(false);
    await expect(passwords.verify('abcdefgh\u0000first', hash)).resolves.toBe(true);
  });

  it('normalises with NFKC: full-width characters verify as their ASCII forms', async () => {
    const hash = await passwords.hash('ｓｅｃｒｅｔ ｐａｓｓ ２０２６');
    await expect(passwords.verify('secret pass 2026', hash)).resolves.toBe(true);
  });

  it('normalises with NFKC: a composed and a decomposed accent are the same password', async () => {
    const hash = await passwords.hash('caf\u00e9 au lait tous les matins');
    await expect(passwords.verify('cafe\u0301 au lait tous les matins', hash)).resolves.toBe(true);
  });

  it('uses the configured bcrypt cost and a fresh salt each time', async () => {
    const hash = await passwords.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    expect(await createPasswordService(5).hash('correct horse battery staple')).toMatch(/^\$2b\$05\$/);
    expect(await passwords.hash('correct horse battery staple')).not.toBe(hash);
  });

  it('stores a hash that a plain bcrypt compare of the password does not accept (it is pre-hashed)', async () => {
    const hash = await passwords.hash('correct horse battery staple');
    await expect(bcrypt.compare('correct horse battery staple', hash)).resolves.toBe(false);
  });

  it('answers false, never throws, for a hash that is not a bcrypt hash', async () => {
    await expect(passwords.verify('anything at all', '')).resolves.toBe(false);
    await expect(passwords.verify('anything at all', 'not-a-hash')).resolves.toBe(false);
  });

  it('verifyAgainstDummy answers false whatever the password', async () => {
    for (const password of ['', 'correct horse battery staple', 'x'.repeat(1024)]) {
      await expect(passwords.verifyAgainstDummy(password)).resolves.toBe(false);
    }
  });
});

describe('password policy', () => {
  const identity = { username: 'alice_smith', email: 'alice@example.test' };

  it('accepts a long, uncommon passphrase', () => {
    expect(checkPasswordPolicy('velvet otter sings at noon', identity)).toBeUndefined();
  });

  it('needs at least 8 characters, counted in code points', () => {
    expect(checkPasswordPolicy('Xk3!zq9', {})).toBe(PASSWORD_MESSAGES.tooShort);
    expect(checkPasswordPolicy('Xk3!zq9w', {})).toBeUndefined();
    // Seven emoji are fourteen UTF-16 units but seven characters.
    expect(checkPasswordPolicy('🦊🐙🦉🐢🦄🐝🦋', {})).toBe(PASSWORD_MESSAGES.tooShort);
    expect(checkPasswordPolicy('🦊🐙🦉🐢🦄🐝🦋🐳', {})).toBeUndefined();
  });

  it('allows at most 256 characters, counted in code points', () => {
    expect(checkPasswordPolicy('🦊'.repeat(256), {})).toBeUndefined();
    expect(checkPasswordPolicy('🦊'.repeat(257), {})).toBe(PASSWORD_MESSAGES.tooLong);
    expect(checkPasswordPolicy('q'.repeat(257), {})).toBe(PASSWORD_MESSAGES.tooLong);
  });

  it.each([['the username', 'Alice_Smith'], ['the email', 'ALICE@example.TEST']])('refuses %s, in any case', (_what, password) => {
    expect(checkPasswordPolicy(password, identity)).toBe(PASSWORD_MESSAGES.sameAsIdentity);
  });

  // Each of these is in the bundled list (@zxcvbn-ts/language-common "passwords-common").
  it.each(['password123', 'PASSWORD123', 'iloveyou', 'qwertyuiop', 'trustno1', '1q2w3e4r', 'ｐａｓｓｗｏｒｄ１２３'])(
    'refuses the common password %j and says why',
    (password) => {
      const message = checkPasswordPolicy(password, {});
      expect(message).toBe(PASSWORD_MESSAGES.common);
      expect(localize(message!, english)).toMatch(/list of commonly used passwords/);
    },
  );
});
