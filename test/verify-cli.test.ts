import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/cli-io.js';
import { main } from '../src/cli/main.js';
import { PROGRESS_MIN_BYTES } from '../src/cli/verify-command.js';
import type { BundleVerification, EvidenceBundle } from '../src/packs/bundle.js';
import { buildBundle, newSigningKey } from '../src/packs/bundle-test-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'cabinet-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = newSigningKey();
const other = newSigningKey();
const { bundle } = buildBundle({ key });

function write(name: string, content: string | object): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const bundleFile = write('bundle.json', bundle);
const keyPem = write('key.pem', key.publicKeyPem);
const otherPem = write('other.pem', other.publicKeyPem);
const keysJson = write('keys.json', {
  keys: [{ key_id: key.keyId, algorithm: 'ed25519', public_key_pem: key.publicKeyPem }],
});

/** No database, no server: the environment is empty on purpose. */
async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
    untilStopped: async () => {},
  };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function tampered(name: string, edit: (b: EvidenceBundle) => void): string {
  const copy = JSON.parse(JSON.stringify(bundle)) as EvidenceBundle;
  edit(copy);
  return write(name, copy);
}

describe('cabinet verify', () => {
  it('verifies a bundle against a PEM key, printing each check and a verdict', async () => {
    const result = await run('verify', bundleFile, '--key', keyPem);
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[0]).toMatch(/^ok {3}format {7}/);
    expect(lines).toContainEqual(expect.stringMatching(/^ok {3}pack\.digest +sha256 /));
    expect(lines).toContainEqual(expect.stringMatching(/^ok {3}documents\[[0-9a-f]{16}/));
    expect(lines.at(-1)).toBe(
      `VERIFIED: pack ${bundle.pack.id} version 1.0, digest ${bundle.pack.digest}, signed by key ${key.keyId}`,
    );
    expect(result.err).toBe('');
  });

  it('accepts the saved answer of GET /api/v1/keys, and several --key', async () => {
    expect((await run('verify', bundleFile, '--key', keysJson)).code).toBe(0);
    expect((await run('verify', bundleFile, '--key', otherPem, '--key', keysJson)).code).toBe(0);
    const twoInOne = write('two.pem', `${other.publicKeyPem}${key.publicKeyPem}`);
    expect((await run('verify', bundleFile, '--key', twoInOne)).code).toBe(0);
  });

  it('prints the BundleVerification with --json', async () => {
    const result = await run('--json', 'verify', bundleFile, '--key', keyPem);
    expect(result.code).toBe(0);
    const verification = JSON.parse(result.out) as BundleVerification;
    expect(verification.ok).toBe(true);
    expect(verification.checks.length).toBe(12);
    const after = await run('verify', bundleFile, '--key', otherPem, '--json');
    expect(after.code).toBe(3);
    expect(JSON.parse(after.out)).toMatchObject({ ok: false });
  });

  it('exits 3 and names each failed part', async () => {
    const sha = bundle.documents[0]!.sha256;
    const file = tampered('tampered.json', (b) => {
      const bytes = Buffer.from(b.documents[0]!.content_base64, 'base64');
      bytes[0] = bytes[0]! ^ 1;
      b.documents[0]!.content_base64 = bytes.toString('base64');
      b.audit.events.splice(1, 1);
    });
    const result = await run('verify', file, '--key', keyPem);
    expect(result.code).toBe(3);
    expect(result.out).toContain(`FAIL documents[${sha}] sbom/cyclonedx at sbom_data.document`);
    expect(result.out).toMatch(/^FAIL audit +seq 42 is missing after seq 41/m);
    expect(result.out.split('\n').at(-1)).toBe(
      `NOT VERIFIED: 2 of 12 checks failed (documents[${sha}], audit)`,
    );
  });

  it('exits 3 for a bundle signed by a key you do not trust', async () => {
    const result = await run('verify', bundleFile, '--key', otherPem);
    expect(result.code).toBe(3);
    expect(result.out).toMatch(
      new RegExp(
        `^FAIL key +the bundle is signed by key ${key.keyId}, not by a key you trust`,
        'm',
      ),
    );
  });

  it('with --trust-embedded-key, checks consistency only and says so loudly', async () => {
    const foreign = write('foreign.json', buildBundle({ key: other }).bundle);
    const result = await run('verify', foreign, '--trust-embedded-key');
    expect(result.code).toBe(0);
    expect(result.err).toMatch(
      /^WARNING: --trust-embedded-key: the signer’s identity was NOT checked/,
    );
    expect(result.out.split('\n').at(-1)).toMatch(
      /signed by key [0-9a-f]{64} \(signer NOT checked: --trust-embedded-key\)$/,
    );
    const broken = tampered('no-key.json', (b) => {
      (b as unknown as { public_key: unknown }).public_key = null;
    });
    const noKey = await run('verify', broken, '--trust-embedded-key');
    expect(noKey.code).toBe(3);
    expect(noKey.out).toContain('no trusted key was given');
  });

  it('reports progress on stderr for a large bundle', async () => {
    const big = Buffer.alloc(PROGRESS_MIN_BYTES + 1, 'a');
    const file = write('big.json', buildBundle({ key, sbom: big }).bundle);
    const result = await run('verify', file, '--key', keyPem);
    expect(result.code).toBe(0);
    expect(result.err.split('\n')).toEqual([
      expect.stringMatching(/^reading .*big\.json \(1\.\d MiB\)$/),
      'hashing documents 1/6 (1.0 MiB)',
      'hashing documents 2/6 (1.0 MiB)',
      'hashing documents 3/6 (1.0 MiB)',
      'hashing documents 4/6 (1.0 MiB)',
      'hashing documents 5/6 (1.0 MiB)',
      'hashing documents 6/6 (1.0 MiB)',
    ]);
  });

  describe('refuses bad input with exit 2', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { privateKey } = generateKeyPairSync('ed25519');
    const cases: [string, () => string[], string][] = [
      ['no --key', () => ['verify', bundleFile], '--key KEYFILE is required'],
      [
        '--key with --trust-embedded-key',
        () => ['verify', bundleFile, '--key', keyPem, '--trust-embedded-key'],
        'exclude each other',
      ],
      [
        'a missing bundle',
        () => ['verify', join(dir, 'nope.json'), '--key', keyPem],
        'cannot read bundle',
      ],
      ['a directory', () => ['verify', dir, '--key', keyPem], 'cannot read bundle'],
      [
        'a bundle that is not JSON',
        () => ['verify', write('text.json', 'PK\u0003\u0004'), '--key', keyPem],
        'text.json is not JSON',
      ],
      [
        'a missing key file',
        () => ['verify', bundleFile, '--key', join(dir, 'nope.pem')],
        'cannot read key file',
      ],
      [
        'a private key',
        () => [
          'verify',
          bundleFile,
          '--key',
          write('private.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
        ],
        'holds a private key',
      ],
      [
        'a file without a key',
        () => ['verify', bundleFile, '--key', write('empty.pem', 'hello\n')],
        'holds no public key',
      ],
      [
        'JSON that is not GET /api/v1/keys',
        () => ['verify', bundleFile, '--key', write('wrong.json', { key: 1 })],
        'is JSON but not the answer of GET /api/v1/keys',
      ],
      [
        'JSON that does not parse',
        () => ['verify', bundleFile, '--key', write('broken.json', '{"keys": [')],
        'is JSON but not the answer',
      ],
      [
        'a key that is not Ed25519',
        () => [
          'verify',
          bundleFile,
          '--key',
          write('ec.pem', publicKey.export({ type: 'spki', format: 'pem' }).toString()),
        ],
        'key 1 is not an Ed25519 public key',
      ],
      [
        'a key id that does not match its key',
        () => [
          'verify',
          bundleFile,
          '--key',
          write('mislabelled.json', {
            keys: [{ key_id: other.keyId, algorithm: 'ed25519', public_key_pem: key.publicKeyPem }],
          }),
        ],
        `key 1 is labelled ${other.keyId} but is key ${key.keyId}`,
      ],
    ];
    it.each(cases)('%s', async (_name, argv, message) => {
      const result = await run(...argv());
      expect(result.code).toBe(2);
      expect(result.err).toContain(message);
      expect(result.out).toBe('');
    });
  });
});
