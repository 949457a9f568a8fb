/**
 * `cabinet verify BUNDLE --key KEYFILE`: checks an exported evidence bundle offline, with no
 * server and no database, against keys the person verifying trusts. Exit 0 verified, 3 not
 * verified, 2 bad input (a file missing or unreadable, not JSON, no usable key).
 */
import type { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import type { VerifyOptions } from './verify-run.js';

/** Below this a bundle verifies in a blink: progress lines would only be noise. */
export const PROGRESS_MIN_BYTES = 1024 * 1024;

export function registerVerifyCommand(program: Command, io: CliIo): void {
  const json = () => program.opts<{ json?: boolean }>().json === true;
  program
    .command('verify')
    .description('verify an exported evidence bundle offline (no server, no database needed)')
    .argument('<bundle>', 'the bundle file (GET /api/v1/evidence-packs/{id}/bundle)')
    .option(
      '--key <file>',
      'a key you trust: a PEM public key, or the saved JSON of GET /api/v1/keys (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option(
      '--trust-embedded-key',
      'trust the key inside the bundle: proves the bundle is consistent, NOT who signed it',
    )
    .addHelpText(
      'after',
      '\nExit status: 0 verified, 3 verification failed, 2 bad input.\n' +
        'Example:\n  curl -s https://cabinet.example/api/v1/keys > keys.json\n' +
        '  cabinet verify pack-bundle.json --key keys.json',
    )
    .action(async (file: string, options: VerifyOptions) => {
      // The verification code (signatures, documents) loads only when this command runs.
      const { verifyCommand } = await import('./verify-run.js');
      await verifyCommand(io, file, options, json());
    });
}
