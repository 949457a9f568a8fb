import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import CFB from 'cfb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyAuthenticode } from './index.js';
import type { DigestAlgorithm } from './msi-digest.js';
import { readDirectoryEntries } from './msi-directory.js';
import { type MsiScan, readMsiImage } from './msi-image.js';
import { CompoundFileEditor, MsiFixtures } from './msi-test-support.js';

let fixtures: MsiFixtures;
let unsigned: Buffer;
let signed: Buffer;
let signedEx: Buffer;

beforeAll(() => {
  fixtures = new MsiFixtures();
  unsigned = fixtures.build();
  signed = fixtures.sign(unsigned);
  signedEx = fixtures.sign(unsigned, { dse: true });
});

function signedScan(bytes: Buffer): Extract<MsiScan, { kind: 'signed' }> {
  const scan = readMsiImage(bytes);
  if (scan.kind !== 'signed') throw new Error(`expected a signed MSI, got ${JSON.stringify(scan)}`);
  return scan;
}

function stream(bytes: Buffer, name: string): Buffer {
  const entry = CFB.read(bytes, { type: 'buffer' }).FileIndex.find((e) => e.name === name);
  if (!entry?.content) throw new Error(`no stream ${JSON.stringify(name)}`);
  return Buffer.from(entry.content as Uint8Array);
}

/** The largest hashed stream (the embedded cabinet), stored in regular sectors. */
function cabinetStream(bytes: Buffer): Buffer {
  const index = CFB.read(bytes, { type: 'buffer' }).FileIndex;
  const largest = index
    .filter((e) => e.type === 2 && !e.name.startsWith('\u0005'))
    .sort((a, b) => b.size - a.size)[0]!;
  return Buffer.from(largest.content as Uint8Array);
}

function entryIdNamed(bytes: Buffer, name: Buffer): number {
  const directory = readDirectoryEntries(bytes);
  if (!directory.ok) throw new Error(directory.message);
  return directory.entries.findIndex((e) => e.name.subarray(0, e.nameLength).equals(name));
}

describe('readMsiImage on real MSIs (wixl, osslsigncode)', () => {
  it('says unsigned for an MSI without a DigitalSignature stream', () => {
    expect(readMsiImage(unsigned)).toEqual({ kind: 'unsigned' });
  });

  it('finds the signature and recomputes the sha256 digest osslsigncode calculates', async () => {
    const scan = signedScan(signed);
    expect(scan.has_ex).toBe(false);
    expect(scan.image.format).toBe('msi');
    expect(scan.image.pkcs7).toHaveLength(1);
    expect(scan.image.pkcs7[0]!.equals(stream(signed, '\u0005DigitalSignature'))).toBe(true);
    const ossl = fixtures.verify(signed);
    expect(ossl.ok).toBe(true);
    expect(ossl.calculated).toBeDefined();
    expect(await scan.image.digest('sha256')).toEqual(ossl.calculated);
    expect(await scan.image.digest('sha256')).toEqual(ossl.current);
  });

  it('includes the metadata pre-hash when MsiDigitalSignatureEx is present', async () => {
    const scan = signedScan(signedEx);
    expect(scan.has_ex).toBe(true);
    const ossl = fixtures.verify(signedEx);
    expect(ossl.ok).toBe(true);
    expect(await scan.image.digest('sha256')).toEqual(ossl.current);
    // The same streams without the pre-hash give another digest: the pre-hash is really in.
    expect(await scan.image.digest('sha256')).not.toEqual(
      await signedScan(signed).image.digest('sha256'),
    );
  });

  it.each<[DigestAlgorithm, boolean]>([
    ['sha1', false],
    ['sha1', true],
    ['sha384', true],
    ['sha512', false],
  ])('recomputes the %s digest (MsiDigitalSignatureEx: %s)', async (hash, dse) => {
    const file = fixtures.sign(unsigned, { hash, dse });
    const ossl = fixtures.verify(file);
    expect(ossl.ok).toBe(true);
    expect(await signedScan(file).image.digest(hash)).toEqual(ossl.current);
  });

  it('refuses a digest whose size does not fit the stored MsiDigitalSignatureEx', async () => {
    await expect(signedScan(signedEx).image.digest('sha1')).rejects.toThrow(
      /MsiDigitalSignatureEx/,
    );
  });

  it('gives another digest, as osslsigncode does, when one byte of a stream changes', async () => {
    const cab = cabinetStream(signed);
    const editor = new CompoundFileEditor(signed);
    const patched = Buffer.from(cab.subarray(0, 64));
    patched[40] = patched[40]! ^ 0xff;
    editor.replaceUnique(cab.subarray(0, 64), patched);
    const digest = await signedScan(editor.bytes).image.digest('sha256');
    const ossl = fixtures.verify(editor.bytes);
    expect(ossl.ok).toBe(false);
    expect(digest).not.toEqual(ossl.current);
    expect(digest).toEqual(ossl.calculated);
  });

  it('covers entry metadata only when MsiDigitalSignatureEx is present', async () => {
    const touch = (bytes: Buffer): Buffer => {
      const editor = new CompoundFileEditor(bytes);
      const id = entryIdNamed(bytes, Buffer.from('\u0005SummaryInformation\u0000', 'utf16le'));
      editor.bytes.writeUInt32LE(0x01d9_0000, editor.entryOffset(id) + 0x6c);
      return editor.bytes;
    };
    const plain = touch(signed);
    expect(await signedScan(plain).image.digest('sha256')).toEqual(fixtures.verify(signed).current);
    const withEx = touch(signedEx);
    const ossl = fixtures.verify(withEx);
    expect(ossl.ok).toBe(false);
    expect(await signedScan(withEx).image.digest('sha256')).toEqual(ossl.calculated);
    expect(ossl.calculated).not.toEqual(ossl.current);
  });

  it('says malformed_signature when the signature stream is not PKCS#7', () => {
    const signature = stream(signed, '\u0005DigitalSignature');
    const editor = new CompoundFileEditor(signed);
    editor.replaceUnique(signature.subarray(0, 64), Buffer.alloc(64, 0x41));
    const scan = readMsiImage(editor.bytes);
    expect(scan).toMatchObject({ kind: 'invalid', reason: 'malformed_signature' });
  });

  it('says malformed_signature for DER that is not SignedData', () => {
    const signature = stream(signed, '\u0005DigitalSignature');
    // A SEQUENCE { OID data, [0] { ... } } of the same length: DER, but ContentInfo(data).
    const editor = new CompoundFileEditor(signed);
    const oid = Buffer.from('06092a864886f70d010702', 'hex');
    const at = signature.indexOf(oid);
    expect(at).toBeGreaterThan(0);
    const changed = Buffer.from(signature.subarray(0, at + oid.length));
    changed[changed.length - 1] = 0x01;
    editor.replaceUnique(signature.subarray(0, at + oid.length), changed);
    expect(readMsiImage(editor.bytes)).toMatchObject({
      kind: 'invalid',
      reason: 'malformed_signature',
    });
  });

  it('says not_msi for anything without the compound-file magic', () => {
    expect(readMsiImage(Buffer.alloc(0))).toEqual({ kind: 'not_msi' });
    expect(readMsiImage(Buffer.from('MZ\x90\x00 this is not an installer'))).toEqual({
      kind: 'not_msi',
    });
    expect(readMsiImage(signed.subarray(1))).toEqual({ kind: 'not_msi' });
  });

  it.each([0.5, 0.9, 0.99])('says truncated for a signed MSI cut at %s of its length', (share) => {
    const cut = signed.subarray(0, Math.floor(signed.length * share));
    expect(readMsiImage(cut)).toMatchObject({ kind: 'invalid', reason: 'truncated' });
  });

  it('says truncated for a file cut inside the header', () => {
    expect(readMsiImage(signed.subarray(0, 300))).toMatchObject({
      kind: 'invalid',
      reason: 'truncated',
    });
  });

  it('refuses a compound file cfb cannot read', () => {
    const editor = new CompoundFileEditor(signed);
    editor.bytes.writeUInt16LE(0x0005, 0x1a); // major version 5
    expect(readMsiImage(editor.bytes)).toMatchObject({
      kind: 'invalid',
      reason: 'not_compound_file',
    });
  });

  it('says truncated when a stream declares more bytes than its sectors hold', () => {
    const editor = new CompoundFileEditor(signed);
    const directory = readDirectoryEntries(signed);
    if (!directory.ok) throw new Error(directory.message);
    const cab = directory.entries.findIndex((e) => e.type === 2 && e.size >= 12_000);
    const declared = directory.entries[cab]!.size + 4096;
    editor.bytes.writeUInt32LE(declared, editor.entryOffset(cab) + 0x78);
    expect(readMsiImage(editor.bytes)).toMatchObject({
      kind: 'invalid',
      reason: 'truncated',
      message: expect.stringContaining(`declares ${declared} bytes`),
    });
  });

  it('refuses directory links that do not form a tree', () => {
    const sibling = new CompoundFileEditor(signed);
    sibling.bytes.writeUInt32LE(1, sibling.entryOffset(0) + 0x48);
    expect(readMsiImage(sibling.bytes)).toMatchObject({
      kind: 'invalid',
      reason: 'malformed_directory',
    });
    const twice = new CompoundFileEditor(signed);
    const rootChild = twice.bytes.readUInt32LE(twice.entryOffset(0) + 0x4c);
    const other = rootChild === 1 ? 2 : 1;
    twice.bytes.writeUInt32LE(rootChild, twice.entryOffset(other) + 0x4c);
    expect(readMsiImage(twice.bytes)).toMatchObject({
      kind: 'invalid',
      reason: 'malformed_directory',
      message: expect.stringContaining('linked twice'),
    });
  });

  it('refuses a stream whose chain starts inside a loop (cfb would never return)', () => {
    const editor = new CompoundFileEditor(signed);
    const directory = readDirectoryEntries(signed);
    if (!directory.ok) throw new Error(directory.message);
    const cab = directory.entries.findIndex((e) => e.type === 2 && e.size >= 12_000);
    const start = directory.entries[cab]!.start;
    // start -> start+1 -> start+2 -> start+1 ...; a second entry begins at start+1.
    editor.setFat(start + 2, start + 1);
    const victim = entryIdNamed(signed, Buffer.from('\u0005SummaryInformation\u0000', 'utf16le'));
    editor.bytes.writeUInt32LE(start + 1, editor.entryOffset(victim) + 0x74);
    editor.bytes.writeUInt32LE(8192, editor.entryOffset(victim) + 0x78);
    expect(readMsiImage(editor.bytes)).toMatchObject({
      kind: 'invalid',
      reason: 'malformed_directory',
    });
  });

  it('never throws on corrupted bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(signedEx.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (edits) => {
          const bytes = Buffer.from(signedEx);
          for (const [at, value] of edits) bytes[at] = value;
          const scan = readMsiImage(bytes);
          expect(['not_msi', 'invalid', 'unsigned', 'signed']).toContain(scan.kind);
          if (scan.kind === 'invalid') expect(scan.message.length).toBeLessThan(400);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('storages, compared with osslsigncode on cfb-written compound files', () => {
  /** osslsigncode prints its calculated digest even when the signature is someone else's. */
  function calculated(bytes: Buffer): Buffer {
    const path = fixtures.path(`cfb-${bytes.length}-${bytes.readUInt32LE(bytes.length - 4)}.msi`);
    writeFileSync(path, bytes);
    const out = spawnSync('osslsigncode', ['verify', '-in', path], { encoding: 'utf8' }).stdout;
    const match = /Calculated DigitalSignature\s*:\s*([0-9A-F]+)/.exec(out);
    if (!match) throw new Error(`osslsigncode printed no digest: ${out}`);
    return Buffer.from(match[1]!, 'hex');
  }

  function compoundFile(extra: Record<string, Buffer>): Buffer {
    const cfb = CFB.utils.cfb_new({ CLSID: '84100c00000000000000000000000046' } as never);
    CFB.utils.cfb_add(cfb, '/Alpha', Buffer.from('alpha stream'));
    CFB.utils.cfb_add(cfb, '/Sub/Inner', Buffer.alloc(5000, 7));
    CFB.utils.cfb_add(cfb, '/Sub/Deeper/x', Buffer.from('x'));
    CFB.utils.cfb_add(cfb, '/B', Buffer.from('b'));
    CFB.utils.cfb_add(cfb, '/\u0005DigitalSignature', stream(signed, '\u0005DigitalSignature'));
    for (const [path, content] of Object.entries(extra)) CFB.utils.cfb_add(cfb, path, content);
    return Buffer.from(CFB.write(cfb, { type: 'buffer' }) as Uint8Array);
  }

  it.each<[string, Record<string, Buffer>]>([
    ['nested storages', {}],
    [
      'nested storages with MsiDigitalSignatureEx',
      { '/\u0005MsiDigitalSignatureEx': Buffer.alloc(32, 1) },
    ],
    [
      'an MsiDigitalSignatureEx-named stream inside a storage',
      {
        '/\u0005MsiDigitalSignatureEx': Buffer.alloc(32, 2),
        '/Sub/\u0005MsiDigitalSignatureEx': Buffer.from('hashed: only the root skips it'),
      },
    ],
  ])('matches osslsigncode for %s', async (_label, extra) => {
    const bytes = compoundFile(extra);
    const scan = signedScan(bytes);
    expect(scan.has_ex).toBe('/\u0005MsiDigitalSignatureEx' in extra);
    expect(await scan.image.digest('sha256')).toEqual(calculated(bytes));
  });

  it('matches osslsigncode after cfb rewrites a signed MSI', async () => {
    const rewritten = Buffer.from(
      CFB.write(CFB.read(signedEx, { type: 'buffer' }), { type: 'buffer' }) as Uint8Array,
    );
    expect(await signedScan(rewritten).image.digest('sha256')).toEqual(calculated(rewritten));
  });

  it('refuses two entries with the same name in one storage', () => {
    const bytes = compoundFile({});
    const editor = new CompoundFileEditor(bytes);
    const b = entryIdNamed(bytes, Buffer.from('B\u0000', 'utf16le'));
    const alpha = entryIdNamed(bytes, Buffer.from('Alpha\u0000', 'utf16le'));
    const offset = editor.entryOffset(b);
    Buffer.from('Alpha\u0000', 'utf16le').copy(editor.bytes, offset);
    editor.bytes.writeUInt16LE(12, offset + 0x40);
    expect(alpha).toBeGreaterThan(0);
    expect(readMsiImage(editor.bytes)).toMatchObject({
      kind: 'invalid',
      reason: 'malformed_directory',
      message: expect.stringContaining('same name'),
    });
  });
});

describe('verifyAuthenticode on MSIs', () => {
  const options = () => ({ trustAnchors: [fixtures.pki.pem('msi-root')], now: new Date() });

  it('judges a signed MSI valid, with and without MsiDigitalSignatureEx', async () => {
    for (const file of [signed, signedEx]) {
      const report = await verifyAuthenticode(signedScan(file).image, options());
      expect(report).toMatchObject({ format: 'msi', status: 'valid' });
      expect(report.signatures[0]).toMatchObject({
        digest_algorithm: 'sha256',
        code_signing: true,
      });
    }
  });

  it('verifies a nested signature with another digest algorithm', async () => {
    const dual = fixtures.sign(signed, { hash: 'sha512', nest: true });
    expect(fixtures.verify(dual).ok).toBe(true);
    const report = await verifyAuthenticode(signedScan(dual).image, options());
    expect(report.status).toBe('valid');
    expect(report.signatures.map((s) => [s.nested, s.digest_algorithm, s.verdict])).toEqual([
      [false, 'sha256', 'valid'],
      [true, 'sha512', 'valid'],
    ]);
  });

  it('judges a tampered MSI digest_mismatch', async () => {
    const cab = cabinetStream(signedEx);
    const editor = new CompoundFileEditor(signedEx);
    const patched = Buffer.from(cab.subarray(0, 64));
    patched[7] = patched[7]! ^ 0x01;
    editor.replaceUnique(cab.subarray(0, 64), patched);
    const report = await verifyAuthenticode(signedScan(editor.bytes).image, options());
    expect(report).toMatchObject({ status: 'invalid', reason: 'digest_mismatch' });
  });
});
