import type { Command } from 'commander';
import { CliExit, type CliIo, withContainer } from './cli-io.js';

export function registerAuditCommands(program: Command, io: CliIo): void {
  const json = () => program.opts<{ json?: boolean }>().json === true;
  const audit = program.command('audit').description('the hash-chained audit log');

  audit
    .command('verify')
    .description('recompute the whole chain and check the signed checkpoints')
    .action(async () => {
      let lastPercent = -1;
      let total = 0;
      // Progress counts events read, not events found intact: the page holding a break is
      // read whole, so the last line can say 100% of a log that failed. Only the result says
      // how many verified.
      const result = await withContainer(io, (c) =>
        c.audit.verify((progress) => {
          total = progress.total;
          const { checked } = progress;
          const percent = total === 0 ? 100 : Math.floor((checked * 100) / total);
          if (percent >= lastPercent + 10 || checked === total) {
            lastPercent = percent;
            io.err(`read ${checked}/${total} events (${percent}%)`);
          }
        }),
      );
      if (json()) {
        io.out(JSON.stringify(result));
      } else if (result.ok) {
        io.out(
          `ok: ${result.events_checked} events, chain head seq ${result.last_seq} ${result.last_hash}, ${result.checkpoints_checked} signed checkpoints matched`,
        );
      } else {
        io.out(
          `FAILED at seq ${result.first_bad?.seq} (${result.first_bad?.reason}): ${result.first_bad?.message}`,
        );
        io.out(`${result.events_checked} of ${total} events verified before the break`);
      }
      if (!result.ok) throw new CliExit(3);
    });

  audit
    .command('checkpoint')
    .description('sign a checkpoint of the current chain head now')
    .action(async () => {
      const checkpoint = await withContainer(io, (c) => c.audit.checkpoint());
      if (json()) io.out(JSON.stringify({ checkpoint }));
      else if (checkpoint) io.out(`signed checkpoint at seq ${checkpoint.seq} ${checkpoint.hash}`);
      else io.out('the head is already checkpointed (or the log is empty)');
    });
}
