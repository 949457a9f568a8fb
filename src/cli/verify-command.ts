/**
 * `cabinet verify BUNDLE --key KEYFILE`: checks an exported evidence bundle offline, with no
 * server and no database, against keys the person verifying trusts. Exit 0 verified, 3 not
 * verified, 2 bad input (a file missing or unreadable, not JSON, no usable key).
 */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import type { BundleVerification, DocumentProgress, TrustedKey } from '../packs/bundle.js';
import { verifyBundle } from '../packs/bundle.js';
import { ed25519KeyId } from '../packs/bundle-keys.js';
import { CliExit, type CliIo } from './cli-io.js';

/** Below this a bundle verifies in a blink: progress lines would only be noise. */
export const PROGRESS_MIN_BYTES = 1024 * 1024;

const PEM_PUBLIC_KEY = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/** The answer of `GET /api/v1/keys`. */
const keysAnswer = z.object({
  keys: z.array(
    z.object({ key_id: z.string(), algorithm: z.string(), public_key_pem: z.string() }),
  ),
});

interface VerifyOptions {
  key: string[];
  trustEmbeddedKey?: boolean;
}

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
      const result = await runVerify(io, file, options);
      if (json()) io.out(JSON.stringify(result.verification));
      else printReport(io, result);
      if (!result.verification.ok) throw new CliExit(3);
    });
}

interface VerifyRun {
  verification: BundleVerification;
  bundle: unknown;
  embeddedOnly: boolean;
}

async function runVerify(io: CliIo, file: string, options: VerifyOptions): Promise<VerifyRun> {
  const embeddedOnly = options.trustEmbeddedKey === true;
  if (embeddedOnly && options.key.length > 0) {
    return badInput(io, '--key and --trust-embedded-key exclude each other: choose one');
  }
  if (!embeddedOnly && options.key.length === 0) {
    return badInput(
      io,
      '--key KEYFILE is required: the PEM public key or the JSON of GET /api/v1/keys of the ' +
        'server you trust (or --trust-embedded-key to check consistency only)',
    );
  }
  const trustedKeys: TrustedKey[] = [];
  for (const keyFile of options.key) trustedKeys.push(...(await readKeyFile(io, keyFile)));

  const size = await stat(file).then(
    (s) => s.size,
    (error: Error) => badInput(io, `cannot read bundle ${file}: ${error.message}`),
  );
  const large = size >= PROGRESS_MIN_BYTES;
  if (large) io.err(`reading ${file} (${megabytes(size)})`);
  const text = await readFile(file, 'utf8').catch((error: Error) =>
    badInput(io, `cannot read bundle ${file}: ${error.message}`),
  );
  let bundle: unknown;
  try {
    bundle = JSON.parse(text);
  } catch (error) {
    return badInput(io, `${file} is not JSON: ${(error as Error).message}`);
  }

  if (embeddedOnly) {
    io.err(
      'WARNING: --trust-embedded-key: the signer’s identity was NOT checked. This only shows ' +
        'the bundle is consistent with the key it carries; anyone can make such a bundle. ' +
        'Verify with --key and the server’s published key to know who signed it.',
    );
    const pem = (bundle as { public_key?: { pem?: unknown } } | null)?.public_key?.pem;
    if (typeof pem === 'string') trustedKeys.push({ pem });
  }

  const onProgress = large
    ? ({ done, total, bytes }: DocumentProgress) =>
        io.err(`hashing documents ${done}/${total} (${megabytes(bytes)})`)
    : undefined;
  const verification = verifyBundle(bundle, { trustedKeys, ...(onProgress && { onProgress }) });
  return { verification, bundle, embeddedOnly };
}

/** A PEM file (one or more public keys) or the JSON of `GET /api/v1/keys`. */
async function readKeyFile(io: CliIo, file: string): Promise<TrustedKey[]> {
  const text = await readFile(file, 'utf8').catch((error: Error) =>
    badInput(io, `cannot read key file ${file}: ${error.message}`),
  );
  let keys: TrustedKey[];
  if (text.trimStart().startsWith('{')) {
    let answer: z.infer<typeof keysAnswer>;
    try {
      answer = keysAnswer.parse(JSON.parse(text));
    } catch {
      return badInput(
        io,
        `${file} is JSON but not the answer of GET /api/v1/keys ({ "keys": [{ "key_id", "algorithm", "public_key_pem" }] })`,
      );
    }
    keys = answer.keys.map((k) => ({ key_id: k.key_id, pem: k.public_key_pem }));
  } else if (text.includes('PRIVATE KEY-----')) {
    return badInput(
      io,
      `${file} holds a private key: give the public key (GET /api/v1/keys), and keep the private one where it was`,
    );
  } else {
    keys = (text.match(PEM_PUBLIC_KEY) ?? []).map((pem) => ({ pem: `${pem}\n` }));
  }
  if (keys.length === 0) {
    return badInput(
      io,
      `${file} holds no public key: expected a PEM public key or the JSON of GET /api/v1/keys`,
    );
  }
  keys.forEach((key, i) => {
    const keyId = ed25519KeyId(key.pem);
    if (keyId === null) {
      badInput(io, `${file}: key ${i + 1} is not an Ed25519 public key`);
    }
    if (key.key_id !== undefined && key.key_id !== keyId) {
      badInput(io, `${file}: key ${i + 1} is labelled ${key.key_id} but is key ${keyId}`);
    }
  });
  return keys;
}

function printReport(io: CliIo, run: VerifyRun): void {
  const { checks, ok } = run.verification;
  const width = Math.min(24, Math.max(...checks.map((c) => c.part.length)));
  for (const check of checks) {
    io.out(`${check.ok ? 'ok  ' : 'FAIL'} ${check.part.padEnd(width)} ${check.message}`);
  }
  if (ok) {
    // Every part verified, so the bundle has the v1 shape.
    const { pack, public_key } = run.bundle as {
      pack: { id: string; version: string; digest: string };
      public_key: { key_id: string };
    };
    io.out(
      `VERIFIED: pack ${pack.id} version ${pack.version}, digest ${pack.digest}, signed by key ${public_key.key_id}` +
        (run.embeddedOnly ? ' (signer NOT checked: --trust-embedded-key)' : ''),
    );
  } else {
    const failedParts = [...new Set(checks.filter((c) => !c.ok).map((c) => c.part))];
    const count = checks.filter((c) => !c.ok).length;
    io.out(`NOT VERIFIED: ${count} of ${checks.length} checks failed (${failedParts.join(', ')})`);
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function badInput(io: CliIo, message: string): never {
  io.err(`error: ${message}`);
  throw new CliExit(2);
}
