import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeHasher, type PeScan } from './authenticode-hasher.js';
import { MAX_HEADER_PREFIX } from './pe-layout.js';
import { AuthenticodeTestKit, layoutOf, scanPe, windowsBinary } from './test-signing.js';

let kit: AuthenticodeTestKit;
let signed64: Buffer;
let signed32: Buffer;
let signedSha1: Buffer;

beforeAll(() => {
  kit = new AuthenticodeTestKit();
  signed64 = kit.sign(windowsBinary('x64'));
  signed32 = kit.sign(windowsBinary('ia32'));
  signedSha1 = kit.sign(windowsBinary('x64'), { hash: 'sha1' });
});

afterAll(() => kit.remove());

function signedScan(scan: PeScan) {
  if (scan.kind !== 'signed') throw new Error(`expected signed, got ${JSON.stringify(scan)}`);
  return scan;
}

function invalidOf(scan: PeScan): { reason: string; message: string } {
  if (scan.kind !== 'invalid') throw new Error(`expected invalid, got ${scan.kind}`);
  return scan;
}

/** Rewrites the certificate-table directory entry (offset, size). */
function withTableEntry(bytes: Buffer, offset: number, size: number): Buffer {
  const copy = Buffer.from(bytes);
  const entry = layoutOf(bytes).securityEntryOffset!;
  copy.writeUInt32LE(offset, entry);
  copy.writeUInt32LE(size, entry + 4);
  return copy;
}

describe('PE Authenticode digest', () => {
  it.each([
    ['PE32+ (x64)', () => signed64],
    ['PE32 (ia32)', () => signed32],
  ])('equals the digest osslsigncode calculates for a %s file', async (_name, file) => {
    const bytes = file();
    const image = signedScan(scanPe(bytes)).image();
    const digest = await image.digest('sha256');
    expect(digest.toString('hex')).toBe(kit.calculatedDigest(bytes));
    expect(layoutOf(bytes).is64).toBe(_name.startsWith('PE32+'));
  });

  it('computes another algorithm in a second streamed pass, matching osslsigncode', async () => {
    const image = signedScan(scanPe(signedSha1)).image(async function* () {
      for (let offset = 0; offset < signedSha1.length; offset += 4096) {
        yield signedSha1.subarray(offset, offset + 4096);
      }
    });
    const digest = await image.digest('sha1');
    expect(digest.toString('hex')).toBe(kit.calculatedDigest(signedSha1));
  });

  it('computes extra algorithms in the upload pass when asked', async () => {
    const hasher = createPeHasher({ algorithms: ['sha1'] });
    hasher.update(signedSha1);
    const image = signedScan(hasher.finish(signedSha1.length)).image();
    expect((await image.digest('sha1')).toString('hex')).toBe(kit.calculatedDigest(signedSha1));
  });

  it('refuses a digest it cannot compute without a second pass, and a second pass of another size', async () => {
    const scan = signedScan(scanPe(signedSha1));
    await expect(scan.image().digest('sha1')).rejects.toThrow(/no second pass/);
    const short = scan.image(async function* () {
      yield signedSha1.subarray(0, 1000);
    });
    await expect(short.digest('sha1')).rejects.toThrow(/read 1000 bytes/);
  });

  it('does not depend on how the upload is chunked', async () => {
    const expected = (await signedScan(scanPe(signed64)).image().digest('sha256')).toString('hex');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 12 }),
        async (sizes) => {
          const scan = signedScan(scanPe(signed64, sizes));
          expect((await scan.image().digest('sha256')).toString('hex')).toBe(expected);
          expect(
            scan.image().pkcs7[0]!.equals(signedScan(scanPe(signed64)).image().pkcs7[0]!),
          ).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
    // One byte at a time through the headers: the prefix is parsed as it grows.
    const sizes = [...Array.from({ length: 600 }, () => 1), 1 << 20];
    const scan = signedScan(scanPe(signed64, sizes));
    expect((await scan.image().digest('sha256')).toString('hex')).toBe(expected);
  });

  it('excludes the CheckSum field, as the format specifies', async () => {
    const tampered = Buffer.from(signed64);
    tampered.writeUInt32LE(0xdeadbeef, layoutOf(signed64).checksumOffset);
    const original = await signedScan(scanPe(signed64)).image().digest('sha256');
    expect(await signedScan(scanPe(tampered)).image().digest('sha256')).toEqual(original);
  });

  it('covers the code: one changed byte changes the digest', async () => {
    const tampered = Buffer.from(signed64);
    const at = layoutOf(signed64).sizeOfHeaders + 0x100;
    tampered[at] = tampered[at]! ^ 0xff;
    const original = await signedScan(scanPe(signed64)).image().digest('sha256');
    expect(await signedScan(scanPe(tampered)).image().digest('sha256')).not.toEqual(original);
  });
});

describe('PE scan outcomes', () => {
  it('says not_pe for a file that is not a PE', () => {
    expect(scanPe(Buffer.from('%PDF-1.7 not a program')).kind).toBe('not_pe');
    expect(scanPe(Buffer.alloc(0)).kind).toBe('not_pe');
    expect(scanPe(Buffer.from('MZ')).kind).toBe('not_pe');
    // A DOS program: MZ, but no PE signature at e_lfanew.
    const dos = Buffer.alloc(0x100);
    dos.write('MZ', 0, 'latin1');
    dos.writeUInt32LE(0x80, 0x3c);
    expect(scanPe(dos).kind).toBe('not_pe');
  });

  it('says unsigned for a real unsigned PE', () => {
    expect(scanPe(readFileSync(windowsBinary('x64'))).kind).toBe('unsigned');
    expect(scanPe(readFileSync(windowsBinary('ia32'))).kind).toBe('unsigned');
  });

  it('refuses headers beyond the bounded prefix, and cut-short headers', () => {
    const far = Buffer.from(readFileSync(windowsBinary('x64')));
    far.writeUInt32LE(MAX_HEADER_PREFIX + 8, 0x3c);
    expect(invalidOf(scanPe(far)).reason).toBe('malformed_pe');
    const unsigned = readFileSync(windowsBinary('x64'));
    const peOffset = unsigned.readUInt32LE(0x3c);
    const cut = invalidOf(scanPe(unsigned.subarray(0, peOffset + 60)));
    expect(cut.reason).toBe('malformed_pe');
    expect(cut.message).toMatch(/cut short/);
  });

  it('refuses an unknown optional-header magic and an optional header too small for its directories', () => {
    const unsigned = readFileSync(windowsBinary('x64'));
    const optional = unsigned.readUInt32LE(0x3c) + 24;
    const magic = Buffer.from(unsigned);
    magic.writeUInt16LE(0x107, optional); // a ROM image
    expect(invalidOf(scanPe(magic)).message).toMatch(/magic is 0x107/);
    const small = Buffer.from(unsigned);
    small.writeUInt16LE(64, optional - 4); // SizeOfOptionalHeader
    expect(invalidOf(scanPe(small)).message).toMatch(/SizeOfOptionalHeader is 64/);
  });

  it('treats a zero-size table as unsigned and refuses one too small for an entry header', () => {
    const layout = layoutOf(signed64);
    expect(scanPe(withTableEntry(signed64, layout.tableOffset, 0)).kind).toBe('unsigned');
    const tiny = invalidOf(scanPe(withTableEntry(signed64, layout.tableOffset, 4)));
    expect(tiny).toMatchObject({ reason: 'certificate_table_invalid' });
    expect(tiny.message).toMatch(/only 4 bytes/);
  });

  it('refuses a certificate table pointing past the end of the file', () => {
    const layout = layoutOf(signed64);
    const past = invalidOf(
      scanPe(withTableEntry(signed64, layout.tableOffset, layout.tableSize + 64)),
    );
    expect(past.reason).toBe('certificate_table_invalid');
    expect(past.message).toMatch(/past the end/);
  });

  it('refuses a truncated file whose table no longer fits', () => {
    const cut = invalidOf(scanPe(signed64.subarray(0, signed64.length - 100)));
    expect(cut.reason).toBe('certificate_table_invalid');
    expect(cut.message).toMatch(/past the end/);
  });

  it('refuses a table overlapping the headers or the sections', () => {
    const layout = layoutOf(signed64);
    const headers = invalidOf(scanPe(withTableEntry(signed64, 0x100, layout.tableSize)));
    expect(headers.reason).toBe('certificate_table_invalid');
    expect(headers.message).toMatch(/overlaps the PE headers/);
    const sections = invalidOf(scanPe(withTableEntry(signed64, layout.sizeOfHeaders + 0x1000, 64)));
    expect(sections.message).toMatch(/overlaps section data/);
  });

  it('refuses a misaligned table', () => {
    const layout = layoutOf(signed64);
    const odd = invalidOf(
      scanPe(withTableEntry(signed64, layout.tableOffset + 4, layout.tableSize - 4)),
    );
    expect(odd.reason).toBe('certificate_table_invalid');
    expect(odd.message).toMatch(/8-byte aligned/);
  });

  it('refuses a table whose entry claims more bytes than the table holds', () => {
    const tampered = Buffer.from(signed64);
    const layout = layoutOf(signed64);
    tampered.writeUInt32LE(layout.tableSize + 8, layout.tableOffset);
    const entry = invalidOf(scanPe(tampered));
    expect(entry.reason).toBe('certificate_table_invalid');
    expect(entry.message).toMatch(/declares/);
  });

  it('refuses a table with no PKCS#7 entry', () => {
    const tampered = Buffer.from(signed64);
    const layout = layoutOf(signed64);
    tampered.writeUInt16LE(0x0001, layout.tableOffset + 6); // WIN_CERT_TYPE_X509
    expect(invalidOf(scanPe(tampered)).message).toMatch(/no PKCS#7/);
  });

  it('captures exactly the PKCS#7 blob osslsigncode wrote', () => {
    const extracted = kit.pki.file('extracted.der');
    kit.osslsigncode(['extract-signature', '-in', kit.copy(signed64), '-out', extracted]);
    const image = signedScan(scanPe(signed64)).image();
    expect(image.pkcs7).toHaveLength(1);
    expect(image.pkcs7[0]!.equals(readFileSync(extracted))).toBe(true);
  });
});
