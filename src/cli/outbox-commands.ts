import type { Command } from 'commander';
import { CliExit, type CliIo, withContainer } from './cli-io.js';

export function registerOutboxCommands(program: Command, io: CliIo): void {
  const json = () => program.opts<{ json?: boolean }>().json === true;
  const outbox = program
    .command('outbox')
    .description('the messages (email, webhooks) waiting to be delivered');

  outbox
    .command('drain')
    .description(
      'deliver every message due now, once, and exit (for cron-style deployments); exit 3 when some failed',
    )
    .action(async () => {
      const { summary, channels, counts } = await withContainer(io, async (c) => {
        const summary = await c.dispatcher.drain((s) =>
          io.err(`delivered ${s.delivered}, failed ${s.failed}, dead ${s.dead}`),
        );
        return { summary, channels: c.dispatcher.channels, counts: await c.outbox.counts() };
      });
      const idle = (['email', 'webhook'] as const).filter((name) => !channels.includes(name));
      if (json()) {
        io.out(JSON.stringify({ ...summary, pending: counts.pending, channels_off: idle }));
      } else {
        io.out(
          `delivered ${summary.delivered}, failed ${summary.failed} (retried later), dead ${summary.dead}; ${counts.pending} pending`,
        );
        if (idle.includes('email')) {
          io.out('email is not configured (CABINET_SMTP_URL): email messages wait in the outbox');
        }
      }
      if (summary.failed + summary.dead > 0) throw new CliExit(3);
    });
}
