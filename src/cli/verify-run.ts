/**
 * The work of `cabinet verify` (see verify-command.ts), loaded only when that command runs:
 * bundle verification pulls in the signature and document code no other command needs.
 */
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import type { BundleVerification, DocumentProgress, TrustedKey } from '../packs/bundle.js';
import { verifyBundle } from '../packs/bundle.js';
import { ed25519KeyId } from '../packs/bundle-keys.js';
import { CliExit, type CliIo } from './cli-io.js';
import { PROGRESS_MIN_BYTES } from './verify-command.js';

const PEM_PUBLIC_KEY = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/** The answer of `GET /api/v1/keys`. */
const keysAnswer = z.object({
  keys: z.array(
    z.object({ key_id: z.string(), algorithm: z.string(), public_key_pem: z.string() }),
  ),
});

export interface VerifyOptions {
  key: string[];
  trustEmbeddedKey?: boolean;
}

/** Verifies the bundle file, prints the report (or JSON), and exits 3 when it fails. */
export async function verifyCommand(
  io: CliIo,
  file: string,
  options: VerifyOptions,
  json: boolean,
): Promise<void> {
  const result = await runVerify(io, file, options);
  if (json) io.out(JSON.stringify(result.verification));
  else printReport(io, result);
  if (!result.verification.ok) throw new CliExit(3);
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
  if (large) io.err(`reading ${file} (${mebibytes(size)})`);
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
        io.err(`hashing documents ${done}/${total} (${mebibytes(bytes)})`)
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

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function badInput(io: CliIo, message: string): never {
  io.err(`error: ${message}`);
  throw new CliExit(2);
}
