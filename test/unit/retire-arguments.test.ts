import { parseRetireArguments } from '../../src/cli/key-rotation';

describe('npm run keys:retire arguments', () => {
  it('takes a kid that begins with "-" (a base64url thumbprint may) as the kid, not as options', () => {
    const kid = '-IUaJ49xjecETpDDJCJa7aKMJUvR10Ls2khkCoZaNAg';
    expect(parseRetireArguments([kid])).toEqual({ kid, force: false });
    expect(parseRetireArguments([kid, '--force'])).toEqual({ kid, force: true });
    expect(parseRetireArguments(['--force', '--', kid])).toEqual({ kid, force: true });
    const doubleDash = '--UaJ49xjecETpDDJCJa7aKMJUvR10Ls2khkCoZaNAg';
    expect(parseRetireArguments([doubleDash])).toEqual({ kid: doubleDash, force: false });
  });

  it('names an option it does not know', () => {
    expect(parseRetireArguments(['some-kid', '--now'])).toEqual({ unknownOption: '--now' });
    expect(parseRetireArguments(['-f', 'some-kid'])).toEqual({ unknownOption: '-f' });
  });

  it('asks for usage without exactly one kid, and shows help when asked', () => {
    expect(parseRetireArguments([])).toBe('usage');
    expect(parseRetireArguments(['--force'])).toBe('usage');
    expect(parseRetireArguments(['kid-one', 'kid-two'])).toBe('usage');
    expect(parseRetireArguments(['-h'])).toBe('help');
    expect(parseRetireArguments(['some-kid', '--help'])).toBe('help');
  });
});
