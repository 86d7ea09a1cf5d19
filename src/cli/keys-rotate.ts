import crypto from 'node:crypto';
import { loadConfig, loadDotEnv } from '../config/env';
import { rotateKeys } from './key-rotation';
import { CliError, runCli } from './run-cli';

const USAGE = `Usage: npm run keys:rotate

Makes a new key pair current (JWT_PRIVATE_KEY_FILE, JWT_PUBLIC_KEY_FILE) and keeps the old public
key in JWT_PREVIOUS_KEYS_DIR, where it still verifies, and stays in /.well-known/jwks.json, until
every token it signed has expired. Running instances switch within JWT_KEYS_RELOAD_INTERVAL.
Nobody is signed out. See docs/key-rotation.md.`;

const HS256_STEPS = (secret: string) => `HS256 signs with JWT_SECRET from the environment, which a running instance cannot re-read,
so an HS256 rotation is a restart with two variables. A new secret:

  ${secret}

1. On every instance, restarting them one at a time: JWT_SECRET_PREVIOUS=<the new secret>, JWT_SECRET
   unchanged. Now every instance accepts tokens signed with the new secret. (One instance: skip this.)
2. Then, again one at a time: JWT_SECRET=<the new secret>, JWT_SECRET_PREVIOUS=<the old secret>.
   New tokens carry the new secret's kid; tokens, forms and cookies made with the old one still work.
3. Once the longest token lifetime (REFRESH_TOKEN_TTL) has passed: unset JWT_SECRET_PREVIOUS.`;

runCli(async () => {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  if (args.length > 0) throw new CliError(`keys:rotate takes no arguments (got ${args.join(' ')}).\n\n${USAGE}`);
  loadDotEnv();
  const config = loadConfig();
  if (config.jwt.algorithm === 'HS256') {
    console.log(HS256_STEPS(crypto.randomBytes(48).toString('base64url')));
    return;
  }
  const { kid, previousKid, retirableAt } = rotateKeys(config);
  console.log([
    `Rotated the ${config.jwt.algorithm} signing key.`,
    `  current:  kid ${kid}: signs from now on (running instances switch within ${config.jwt.reloadIntervalSeconds}s)`,
    `  previous: kid ${previousKid}: still verifies and stays in the JWKS, from ${config.jwt.previousKeysDir}`,
    `Once every token it signed has expired, after ${retirableAt.toISOString()}, retire it:`,
    `  npm run keys:retire -- ${previousKid}`,
  ].join('\n'));
});
