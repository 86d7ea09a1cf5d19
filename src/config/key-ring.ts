import type { Logger } from 'pino';
import { Clock, secondsSinceEpoch, systemClock } from '../lib/clock';
import { Config, ConfigError } from './env';
import { KeyFileContents, keyFilesSignature, readKeyFiles } from './key-files';
import { AsymmetricAlgorithm, assembleKeys, ParsedKey, parseKeyPair, SigningKeys } from './key-material';
import { parsePreviousKeyFile } from './previous-keys';

export type ReloadOutcome =
  | { status: 'unchanged' }
  | { status: 'changed'; kid: string; previous: string[] }
  | { status: 'failed'; problem: string };

interface ParsedFiles {
  current: ParsedKey;
  previous: ParsedKey[];
}

/** Parses what readKeyFiles read: the current pair, then every previous key. Throws ConfigError. */
export function parseKeyFiles(contents: KeyFileContents, jwt: Config['jwt']): ParsedFiles {
  const current = parseKeyPair(jwt.algorithm as AsymmetricAlgorithm, contents.privatePem, contents.publicPem);
  const previous = contents.previous.map(({ name, text }) => parsePreviousKeyFile(name, text, jwt));
  return { current, previous };
}

/** What makes two key sets the same for their users: which kids verify, and until when. */
function fingerprint(keys: SigningKeys): string {
  return JSON.stringify([keys.kid, [...keys.verificationKeys.keys()].sort(), [...keys.retiresAt.entries()].sort()]);
}

function describeProblem(error: unknown): string {
  if (error instanceof ConfigError) return error.problems.join('; ');
  // fs errors name the path and the reason; nothing here carries key material.
  return error instanceof Error ? error.message : String(error);
}

/**
 * The signing keys of a running instance. It reads like SigningKeys (every field is the
 * current set's), and it can take a rotation without a restart: reload() looks at the key
 * files (a few stats), parses them again only when they changed, and swaps in the new set
 * whole, so a request never sees half of a change. On any problem (a rotation caught between
 * its two renames, an unreadable file) it keeps the keys it has and tries again next time.
 */
export class KeyRing implements SigningKeys {
  private keys: SigningKeys;
  private timer: NodeJS.Timeout | undefined;

  /** `files` is undefined for HS256, whose secrets come from the environment and never change while running. */
  constructor(
    initial: SigningKeys,
    private readonly jwt: Config['jwt'],
    private files: (ParsedFiles & { signature: string }) | undefined,
    private readonly clock: Clock = systemClock,
  ) {
    this.keys = { ...initial, version: 1 };
  }

  get algorithm() { return this.keys.algorithm; }
  get kid() { return this.keys.kid; }
  get signingKey() { return this.keys.signingKey; }
  get verificationKeys() { return this.keys.verificationKeys; }
  get retiresAt() { return this.keys.retiresAt; }
  get jwks() { return this.keys.jwks; }
  get secretMaterial() { return this.keys.secretMaterial; }
  get version() { return this.keys.version; }

  async reload(): Promise<ReloadOutcome> {
    if (!this.files) return { status: 'unchanged' };
    try {
      // The signature is taken before reading: a change made while we read shows up next time.
      const signature = await keyFilesSignature(this.jwt);
      if (signature !== this.files.signature) {
        this.files = { ...parseKeyFiles(await readKeyFiles(this.jwt), this.jwt), signature };
      }
      // Assembled every time, so a previous key also leaves the set when its retirement comes.
      const { current, previous } = this.files;
      const next = assembleKeys(this.jwt.algorithm, current, previous, secondsSinceEpoch(this.clock), this.keys.version + 1);
      if (fingerprint(next) === fingerprint(this.keys)) return { status: 'unchanged' };
      this.keys = next;
      return { status: 'changed', kid: next.kid, previous: [...next.verificationKeys.keys()].filter((kid) => kid !== next.kid) };
    } catch (error) {
      return { status: 'failed', problem: describeProblem(error) };
    }
  }

  /** Reloads every JWT_KEYS_RELOAD_INTERVAL; logs each change by kid, and each new problem once. */
  watch(logger: Logger): void {
    if (!this.files || this.timer) return;
    let running = false;
    let lastProblem: string | undefined;
    this.timer = setInterval(() => {
      if (running) return;
      running = true;
      this.reload().then((outcome) => {
        if (outcome.status === 'changed') {
          logger.info({ kid: outcome.kid, previous: outcome.previous }, 'signing keys reloaded');
        } else if (outcome.status === 'failed' && outcome.problem !== lastProblem) {
          logger.warn({ problem: outcome.problem, kid: this.kid }, 'signing keys not reloaded: still using the current ones, retrying');
        }
        lastProblem = outcome.status === 'failed' ? outcome.problem : undefined;
      }).catch((error) => logger.error({ err: error }, 'signing key reload failed'))
        .finally(() => { running = false; });
    }, this.jwt.reloadIntervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
