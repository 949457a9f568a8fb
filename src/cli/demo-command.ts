import type { Command } from 'commander';
import { CliExit, type CliIo, cliContext } from './cli-io.js';

/**
 * `cabinet demo [--corpus DIR]`: fills the configured database (the same CABINET_* settings
 * as `cabinet serve`) with a demo data set built from the shared evidence corpus, through the
 * HTTP API in process. Safe to run twice: the second run adds nothing and reissues tokens.
 */
export function registerDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('fill the database with a demo CAB data set from the evidence corpus')
    .option(
      '--corpus <dir>',
      'the shared evidence corpus (default: ../shared/corpus beside the package)',
    )
    .action(async (opts: { corpus?: string }) => {
      const json = program.opts<{ json?: boolean }>().json === true;
      const { openDemoCorpus, MissingCorpusError } = await import('../demo/demo-corpus.js');
      let corpus: ReturnType<typeof openDemoCorpus>;
      try {
        corpus = openDemoCorpus(opts.corpus);
      } catch (error) {
        if (!(error instanceof MissingCorpusError)) throw error;
        io.err(`error: ${error.message}`);
        throw new CliExit(2);
      }
      const { runDemoWithConfig } = await import('../demo/demo-run.js');
      const started = Date.now();
      const result = await runDemoWithConfig(
        io.env,
        corpus,
        (line) => io.err(line),
        cliContext(io.env),
      );
      if (json) {
        io.out(JSON.stringify(result));
        return;
      }
      io.out(
        result.created
          ? `demo data created in ${((Date.now() - started) / 1000).toFixed(1)} s: ${result.counts.intents} intents, ${result.counts.packs} packs, ${result.counts.requests} CAB requests, ${result.counts.exceptions} exceptions`
          : 'demo data already present: nothing added; fresh tokens issued for the demo users',
      );
      io.out('start the server (npm start), then: open http://127.0.0.1:8080');
      for (const [role, { email, token }] of Object.entries(result.tokens)) {
        io.out(`${role.padEnd(10)} ${email.padEnd(28)} ${token}`);
      }
    });
}
