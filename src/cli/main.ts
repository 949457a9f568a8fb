/**
 * The `cabinet` program. Start-up cost matters (`cabinet gate` is a pipeline step that must
 * start, make one call and exit), so everything imported statically from here is light:
 * commander, the API client, the command definitions and their help. What a command needs
 * beyond that — the container and server, database drivers, bundle verification — its
 * action loads with `await import()`. test/cab-cli.test.ts checks the static import graph.
 */
import { Command, CommanderError } from 'commander';
import { registerAdminCommands } from './admin-commands.js';
import { registerAuditCommands } from './audit-commands.js';
import { registerCabCommands } from './cab-commands.js';
import { type CliIo, processIo, reportFailure } from './cli-io.js';
import { registerDemoCommand } from './demo-command.js';
import { registerGateCommand } from './gate-command.js';
import { registerIntentCommands } from './intent-commands.js';
import { registerOutboxCommands } from './outbox-commands.js';
import { registerPackCommands } from './pack-commands.js';
import { registerPublisherCommands } from './publisher-commands.js';
import { registerUploadCommands } from './upload-commands.js';
import { registerVerifyCommand } from './verify-command.js';

export function buildProgram(io: CliIo): Command {
  const program = new Command('cabinet')
    .description('cabinet: evidence-first Change Advisory Board service')
    .option('--json', 'print machine-readable JSON')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nConfiguration comes from CABINET_* environment variables (see README.md).\n' +
        'Examples:\n  cabinet serve\n  cabinet users create --email ann@example.org --name Ann --roles submitter\n' +
        '  cabinet tokens create --user ann@example.org --name laptop\n  cabinet audit verify --json',
    );

  program
    .command('serve')
    .description('run the API server (migrates on start; prints the first admin token once)')
    .action(async () => {
      const { loadConfig } = await import('../config/config.js');
      const config = loadConfig(io.env);
      const [{ createContainer }, { startServer }] = await Promise.all([
        import('../composition-root.js'),
        import('../server.js'),
      ]);
      const container = await createContainer(config);
      const server = await startServer(container, io.out);
      await io.untilStopped();
      await server.stop();
    });
  registerAdminCommands(program, io);
  registerAuditCommands(program, io);
  registerIntentCommands(program, io);
  registerUploadCommands(program, io);
  registerVerifyCommand(program, io);
  registerPackCommands(program, io);
  registerPublisherCommands(program, io);
  registerCabCommands(program, io);
  registerGateCommand(program, io);
  registerOutboxCommands(program, io);
  registerDemoCommand(program, io);
  return program;
}

/** Runs the CLI and returns its exit code (never calls process.exit, so it is testable). */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportFailure(io, error);
  }
}
