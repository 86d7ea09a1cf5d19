import { parseArgs } from 'node:util';
import { ValidationChain, matchedData, validationResult } from 'express-validator';
import { loadConfig, loadDotEnv } from '../config/env';
import { loadDataKey } from '../config/data-key';
import { loadKeys } from '../config/keys';
import { createDb } from '../db/knex';
import { migrateLatest } from '../db/migrate';
import { AppError } from '../errors/app-error';
import { systemClock } from '../lib/clock';
import { english, isMessageRef, localize } from '../lib/i18n';
import { createServices } from '../services';
import type { RegistrationInput } from '../services/auth.service';
import { registerApi } from '../validators/auth.validators';
import { emailField, nameField, usernameField } from '../validators/fields';
import { CliError, runCli } from './run-cli';

const USAGE = `Usage: npm run user:create -- --username NAME --email EMAIL [--admin] [--author] [--first-name NAME] [--second-name NAME]

Creates an account with the same rules as registration, on the database the app uses
(DATABASE_URL, or .env), migrating it first. Every account can read; --author lets it write
articles; --admin lets it manage users. The address is marked verified.

The password is asked for twice on a terminal, without echo, or read from the first line of
stdin when piped:
  printf '%s\\n' "$ADMIN_PASSWORD" | npm run user:create -- --username admin --email admin@example.com --admin

Exit status: 0 when the account was created, 1 otherwise (the reason is printed).`;

const CLI_META = { ip: null, userAgent: 'npm run user:create' };
const MAX_STDIN_BYTES = 64 * 1024;

interface Options {
  username: string;
  email: string;
  first_name?: string;
  second_name?: string;
  admin: boolean;
  author: boolean;
}

function parseOptions(argv: string[]): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        username: { type: 'string' },
        email: { type: 'string' },
        'first-name': { type: 'string' },
        'second-name': { type: 'string' },
        admin: { type: 'boolean', default: false },
        author: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return 'help';
  const missing = (['username', 'email'] as const).filter((name) => !values[name]);
  if (missing.length > 0) throw new CliError(`Missing ${missing.map((name) => `--${name}`).join(' and ')}.\n\n${USAGE}`);
  return {
    username: values.username!,
    email: values.email!,
    first_name: values['first-name'],
    second_name: values['second-name'],
    admin: values.admin ?? false,
    author: values.author ?? false,
  };
}

/** Runs registration's own express-validator chains on plain values: the same rules, the same messages. */
async function validateFields(chains: ValidationChain[], fields: Record<string, string | undefined>): Promise<Record<string, string>> {
  const req = { body: Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) };
  await Promise.all(chains.map((chain) => chain.run(req)));
  const problems = validationResult(req).array();
  if (problems.length > 0) {
    // The validators' messages are keys (lib/i18n.ts); a command speaks English, the reference.
    const text = (message: unknown) => (isMessageRef(message) ? localize(message, english) : String(message));
    const lines = [...new Set(problems.map((problem) => (problem.type === 'field' ? `  ${problem.path}: ${text(problem.msg)}` : `  ${text(problem.msg)}`)))];
    throw new CliError(`The account was not created:\n${lines.join('\n')}`);
  }
  return matchedData(req) as Record<string, string>;
}

/**
 * A terminal gets two prompts with no echo; a pipe gives its first line. Raw mode is on before
 * the first prompt is written and stays on until the second answer, so nothing typed early or
 * between the prompts is ever echoed by the terminal.
 */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const line = (await readStdin()).split(/\r?\n/)[0] ?? '';
    if (!line) throw new CliError('No password on stdin. Pipe it in, or run the command in a terminal to be asked for it.');
    return line;
  }
  process.stdin.setRawMode(true);
  try {
    const password = await promptHidden('Password: ');
    if (password !== (await promptHidden('Password (again): '))) throw new CliError('The two passwords do not match.');
    return password;
  } finally {
    process.stdin.setRawMode(false);
    process.stdin.pause();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN_BYTES) throw new CliError('The password on stdin is too long.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One line from a terminal already in raw mode: Enter ends it, Backspace erases, Ctrl-C cancels. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    let typed = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: string) => {
      for (const char of data) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new CliError('Cancelled.'));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += char;
      }
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
    process.stderr.write(prompt);
  });
}

/** Service refusals (taken username, weak password) become one message per field. */
function describeRefusal(error: AppError): CliError {
  const lines = error.fields ? Object.entries(error.fields).map(([field, message]) => `  ${field}: ${message}`) : [`  ${error.message}`];
  return new CliError(`The account was not created:\n${lines.join('\n')}`);
}

runCli(async () => {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  loadDotEnv();
  const config = loadConfig();
  const identity = { username: options.username, email: options.email, first_name: options.first_name, second_name: options.second_name };
  // Configuration, names and address first: nobody types a password for a command that cannot succeed.
  await validateFields([usernameField(), emailField(), nameField('first_name'), nameField('second_name')], identity);
  const input = await validateFields(registerApi, { ...identity, password: await readPassword() }) as unknown as RegistrationInput;

  const keys = loadKeys(config, { generateIfMissing: !config.isProduction });
  const db = createDb(config.database.url, config.rootDir, config.database);
  try {
    await migrateLatest(db, config.rootDir);
    const services = createServices(config, db, keys, systemClock, undefined, undefined, {}, loadDataKey(config, { generateIfMissing: !config.isProduction }));
    let created;
    try {
      created = await services.auth.register(input, CLI_META, { verified: true });
    } catch (error) {
      throw error instanceof AppError ? describeRefusal(error) : error;
    }
    const user = await services.admin.provisionAccount(created.public_id, { is_author: options.author, is_admin: options.admin }, CLI_META);
    const roles = (['reader', 'author', 'admin'] as const).filter((role) => user[`is_${role}`]);
    process.stdout.write(`Created ${user.username} <${user.email}> with roles: ${roles.join(', ')} (id ${user.id}).\n`);
  } finally {
    await db.destroy();
  }
});
