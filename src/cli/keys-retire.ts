import { loadConfig, loadDotEnv } from '../config/env';
import { parseRetireArguments, retireKey } from './key-rotation';
import { CliError, runCli } from './run-cli';

const USAGE = `Usage: npm run keys:retire -- KID [--force]

Removes a previous signing key (one that npm run keys:rotate replaced) from JWT_PREVIOUS_KEYS_DIR:
running instances stop accepting it, and drop it from /.well-known/jwks.json, within
JWT_KEYS_RELOAD_INTERVAL. Refused while tokens it signed may still be valid, unless --force
(which ends those sessions). The current key is never retired. See docs/key-rotation.md.`;

runCli(async () => {
  const options = parseRetireArguments(process.argv.slice(2));
  if (options === 'usage') throw new CliError(`Name exactly one kid to retire.\n\n${USAGE}`);
  if (typeof options === 'object' && 'unknownOption' in options) throw new CliError(`Unknown option '${options.unknownOption}'.\n\n${USAGE}`);
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  loadDotEnv();
  const config = loadConfig();
  const { forced } = retireKey(config, options.kid, { force: options.force });
  console.log(forced
    ? `Retired ${options.kid} with --force: tokens it signed stop verifying, and their sessions end, within ${config.jwt.reloadIntervalSeconds}s.`
    : `Retired ${options.kid}: every token it signed had expired. Running instances drop it within ${config.jwt.reloadIntervalSeconds}s.`);
});
