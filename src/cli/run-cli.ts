import { ConfigError } from '../config/env';

/** Runs a command-line task: clear messages and a non-zero exit on failure, never a stack trace for user errors. */
export function runCli(task: () => Promise<void>): void {
  task().then(
    () => process.exit(0),
    (error: unknown) => {
      if (error instanceof ConfigError || error instanceof CliError) process.stderr.write(`${error.message}\n`);
      else process.stderr.write(`Failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

/** An error the user can fix, shown as its message alone. */
export class CliError extends Error {}
