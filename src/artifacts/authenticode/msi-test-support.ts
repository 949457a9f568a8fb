/**
 * Test support only (imported by the msi-*.test.ts files beside it): real MSIs built with
 * `wixl` (msitools), signed with `osslsigncode` under an openssl-made code-signing chain, and
 * osslsigncode's own verdict and digests to compare ours with.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CODE_SIGNING_EXTENSIONS,
  caExtensions,
  TestPki,
} from '../../evidence/signatures/test-pki.js';

const PRODUCT_WXS = `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Cabinet MSI Fixture" Language="1033" Version="1.2.3"
           Manufacturer="Acme Software" UpgradeCode="6f1c8e0a-3b7d-4c1e-9a2f-5d4e3c2b1a00">
    <Package InstallerVersion="200" Compressed="yes" Comments="cabinet test fixture"/>
    <Media Id="1" Cabinet="product.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="CabinetFixture">
          <Component Id="MainComponent" Guid="0b0f2c3a-6a8e-4d7b-8c1f-2e3d4c5b6a79">
            <File Id="ReadmeFile" Source="readme.txt"/>
            <File Id="PayloadFile" Source="payload.bin"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="MainComponent"/></Feature>
  </Product>
</Wix>
`;

export interface OsslVerify {
  ok: boolean;
  output: string;
  /** "Calculated DigitalSignature": osslsigncode's Authenticode digest of the file. */
  calculated: Buffer | undefined;
  /** "Current DigitalSignature": the digest the signature carries. */
  current: Buffer | undefined;
}

export type SignHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export class MsiFixtures {
  readonly dir = mkdtempSync(join(tmpdir(), 'cabinet-msi-'));
  readonly pki = new TestPki();
  private counter = 0;

  constructor() {
    this.pki.issue('msi-root', {
      subject: '/CN=MSI Test Root CA',
      keyType: 'ec256',
      extensions: caExtensions(),
    });
    this.pki.issue('msi-signer', {
      subject: '/CN=Acme Installer Signing/O=Acme Software',
      keyType: 'rsa',
      issuer: 'msi-root',
      days: 365,
      extensions: CODE_SIGNING_EXTENSIONS,
    });
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** An unsigned MSI with one component and two files (one of them 20 kB of random bytes). */
  build(): Buffer {
    this.counter += 1;
    const work = mkdtempSync(join(this.dir, 'wix-'));
    writeFileSync(join(work, 'product.wxs'), PRODUCT_WXS);
    writeFileSync(join(work, 'readme.txt'), `fixture ${this.counter}\n`);
    writeFileSync(join(work, 'payload.bin'), randomBytes(20_000));
    run('wixl', ['-o', 'product.msi', 'product.wxs'], work);
    return readFileSync(join(work, 'product.msi'));
  }

  /**
   * `osslsigncode sign` with the test signer; `dse` adds MsiDigitalSignatureEx, `nest` adds a
   * nested signature to an already signed file.
   */
  sign(unsigned: Buffer, options: { hash?: SignHash; dse?: boolean; nest?: boolean } = {}): Buffer {
    this.counter += 1;
    const input = this.path(`in-${this.counter}.msi`);
    const output = this.path(`out-${this.counter}.msi`);
    writeFileSync(input, unsigned);
    run('osslsigncode', [
      'sign',
      '-certs',
      this.pki.file('msi-signer.pem'),
      '-key',
      this.pki.file('msi-signer.key'),
      '-h',
      options.hash ?? 'sha256',
      ...(options.dse ? ['-add-msi-dse'] : []),
      ...(options.nest ? ['-nest'] : []),
      '-in',
      input,
      '-out',
      output,
    ]);
    return readFileSync(output);
  }

  /** `osslsigncode verify` against the test root, with the digests it prints. */
  verify(file: Buffer): OsslVerify {
    this.counter += 1;
    const input = this.path(`verify-${this.counter}.msi`);
    writeFileSync(input, file);
    const result = spawnSync(
      'osslsigncode',
      ['verify', '-in', input, '-CAfile', this.pki.file('msi-root.pem')],
      { encoding: 'utf8' },
    );
    const output = `${result.stdout}${result.stderr}`;
    return {
      ok: result.status === 0,
      output,
      calculated: printedDigest(output, 'Calculated DigitalSignature'),
      current: printedDigest(output, 'Current DigitalSignature'),
    };
  }
}

function printedDigest(output: string, label: string): Buffer | undefined {
  const match = new RegExp(`${label}\\s*:\\s*([0-9A-F]+)`).exec(output);
  return match ? Buffer.from(match[1]!, 'hex') : undefined;
}

function run(command: string, args: string[], cwd?: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args[0]} failed: ${result.stderr || result.stdout}`);
  }
}

/**
 * In-place edits of a compound file that keep its structure valid, for tampering tests. Small
 * files only (the FAT is read from the header's DIFAT array).
 */
export class CompoundFileEditor {
  readonly bytes: Buffer;
  readonly sectorSize: number;

  constructor(bytes: Buffer) {
    this.bytes = Buffer.from(bytes);
    this.sectorSize = 1 << this.bytes.readUInt16LE(0x1e);
  }

  sectorOffset(sector: number): number {
    return (sector + 1) * this.sectorSize;
  }

  fat(sector: number): number {
    return this.bytes.readUInt32LE(this.fatOffset(sector));
  }

  setFat(sector: number, next: number): void {
    this.bytes.writeUInt32LE(next, this.fatOffset(sector));
  }

  private fatOffset(sector: number): number {
    const perSector = this.sectorSize / 4;
    const fatSector = this.bytes.readUInt32LE(0x4c + Math.floor(sector / perSector) * 4);
    return this.sectorOffset(fatSector) + (sector % perSector) * 4;
  }

  /** File offset of directory entry `id` (the directory chain followed through the FAT). */
  entryOffset(id: number): number {
    const perSector = this.sectorSize / 128;
    let sector = this.bytes.readUInt32LE(0x30);
    for (let i = 0; i < Math.floor(id / perSector); i++) sector = this.fat(sector);
    return this.sectorOffset(sector) + (id % perSector) * 128;
  }

  /** Replaces the first occurrence of `needle` (which must occur exactly once). */
  replaceUnique(needle: Buffer, replacement: Buffer): void {
    const at = this.bytes.indexOf(needle);
    if (at < 0 || this.bytes.indexOf(needle, at + 1) >= 0) {
      throw new Error('the bytes to replace do not occur exactly once');
    }
    replacement.copy(this.bytes, at);
  }
}
