/**
 * Test support only (imported by the *.test.ts files beside it): signs copies of real
 * Windows binaries (7-Zip's 7za.exe from the 7zip-bin package, PE32+ and PE32) with
 * `osslsigncode` under a PKI made with the `openssl` command line, the way a release
 * engineer without signtool would. The legacy countersignature case has no offline
 * osslsigncode switch: its SignerInfo is made by `openssl cms -sign` over the signature
 * value (exactly what a PKCS#9 countersignature is) and attached with `osslsigncode
 * attach-signature`.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Attribute, CertificateChoices, ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import {
  CODE_SIGNING_EXTENSIONS,
  caExtensions,
  TestPki,
} from '../../evidence/signatures/test-pki.js';
import { createPeHasher, type PeScan } from './authenticode-hasher.js';
import { type AuthenticodeReport, verifyAuthenticode } from './index.js';
import { type PeLayout, parsePeHeaders } from './pe-layout.js';
import { COUNTERSIGNATURE_OID } from './spc-structures.js';

export type Architecture = 'x64' | 'ia32';

/** The unsigned 7za.exe of the 7zip-bin package for `architecture`. */
export function windowsBinary(architecture: Architecture): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('7zip-bin/package.json'));
  return join(root, 'win', architecture, '7za.exe');
}

const TSA_EXTENSIONS = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=critical,timeStamping',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
];

export interface SignOptions {
  /** Default sha256. */
  hash?: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  /** Certificate name in the kit's PKI; default `leaf` (RSA, one day). */
  signer?: string;
  /** Adds an RFC 3161 timestamp from the kit's TSA vouching for this instant. */
  timestampAt?: Date;
  /** The certificate that signs the timestamp; default `tsa` (timeStamping EKU, by the root). */
  tsa?: string;
  /** Adds this signature as a nested one to an already signed file (osslsigncode -nest). */
  nest?: boolean;
}

export class AuthenticodeTestKit {
  readonly pki = new TestPki();
  private count = 0;

  constructor() {
    const pki = this.pki;
    pki.issue('root', {
      subject: '/CN=Authenticode Test Root/O=Cabinet Tests',
      keyType: 'ec256',
      extensions: caExtensions(),
    });
    pki.issue('int', {
      subject: '/CN=Authenticode Test Issuing CA/O=Cabinet Tests',
      keyType: 'rsa',
      issuer: 'root',
      extensions: caExtensions(0),
    });
    // One day: a `now` three days ahead has it expired, which only a timestamp can rescue.
    pki.issue('leaf', {
      subject: '/CN=Acme Windows Publisher/O=Acme Corp',
      keyType: 'rsa',
      issuer: 'int',
      days: 1,
      extensions: CODE_SIGNING_EXTENSIONS,
    });
    pki.issue('leaf-ec', {
      subject: '/CN=Acme Windows Publisher (ECDSA)/O=Acme Corp',
      keyType: 'ec256',
      issuer: 'int',
      extensions: CODE_SIGNING_EXTENSIONS,
    });
    pki.issue('leaf-no-eku', {
      subject: '/CN=Acme Not A Code Signer/O=Acme Corp',
      keyType: 'rsa',
      issuer: 'int',
      extensions: CODE_SIGNING_EXTENSIONS.filter((line) => !line.startsWith('extendedKeyUsage')),
    });
    pki.issue('tsa', {
      subject: '/CN=Cabinet Test TSA/O=Cabinet Tests',
      keyType: 'rsa',
      issuer: 'root',
      extensions: TSA_EXTENSIONS,
    });
    pki.issue('other-root', {
      subject: '/CN=Unrelated Root/O=Elsewhere',
      keyType: 'ec256',
      extensions: caExtensions(),
    });
    pki.issue('other-tsa', {
      subject: '/CN=Unrelated TSA/O=Elsewhere',
      keyType: 'rsa',
      issuer: 'other-root',
      extensions: TSA_EXTENSIONS,
    });
    pki.issue('other-leaf', {
      subject: '/CN=Someone Else/O=Elsewhere',
      keyType: 'rsa',
      issuer: 'other-root',
      extensions: CODE_SIGNING_EXTENSIONS,
    });
    // -certs wants the signer's chain (leaf first) in one PEM file.
    for (const leaf of ['leaf', 'leaf-ec', 'leaf-no-eku']) {
      writeFileSync(pki.file(`${leaf}-chain.pem`), pki.pem(leaf) + pki.pem('int'));
    }
    writeFileSync(pki.file('other-leaf-chain.pem'), pki.pem('other-leaf'));
    writeFileSync(pki.file('tsa-chain.pem'), pki.pem('tsa'));
    writeFileSync(pki.file('other-tsa-chain.pem'), pki.pem('other-tsa'));
  }

  get rootPem(): string {
    return this.pki.pem('root');
  }

  get otherRootPem(): string {
    return this.pki.pem('other-root');
  }

  /** A fresh path in the kit's directory holding a copy of `source`. */
  copy(source: string | Buffer): string {
    const target = this.pki.file(`file-${++this.count}.exe`);
    if (typeof source === 'string') copyFileSync(source, target);
    else writeFileSync(target, source);
    return target;
  }

  osslsigncode(args: string[]): string {
    return execFileSync('osslsigncode', args, {
      cwd: this.pki.dir,
      stdio: ['pipe', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  }

  /** `osslsigncode sign` of `input` (a path or bytes); returns the signed bytes. */
  sign(input: string | Buffer, options: SignOptions = {}): Buffer {
    const source = this.copy(input);
    const out = this.pki.file(`signed-${++this.count}.exe`);
    const signer = options.signer ?? 'leaf';
    const args = ['sign', '-certs', `${signer}-chain.pem`, '-key', `${signer}.key`];
    args.push('-h', options.hash ?? 'sha256');
    if (options.timestampAt) {
      const unix = Math.floor(options.timestampAt.getTime() / 1000);
      const tsa = options.tsa ?? 'tsa';
      args.push(
        '-TSA-certs',
        `${tsa}-chain.pem`,
        '-TSA-key',
        `${tsa}.key`,
        '-TSA-time',
        String(unix),
      );
    }
    if (options.nest) args.push('-nest');
    this.osslsigncode([...args, '-in', source, '-out', out]);
    return readFileSync(out);
  }

  /** What `osslsigncode verify` prints as "Calculated message digest", lowercase hex. */
  calculatedDigest(file: Buffer): string {
    const path = this.copy(file);
    let output: string;
    try {
      output = this.osslsigncode(['verify', '-CAfile', 'root.pem', '-in', path]);
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? '');
    }
    const match = /Calculated message digest\s*:\s*([0-9A-Fa-f]+)/.exec(output);
    if (!match) throw new Error(`osslsigncode verify printed no calculated digest:\n${output}`);
    return match[1]!.toLowerCase();
  }

  /**
   * Signs `input` without a timestamp, then adds a PKCS#9 countersignature by the kit's TSA
   * (made by `openssl cms -sign` over the signature value) and re-attaches the signature.
   */
  signWithLegacyCountersignature(input: string | Buffer, countersigner = 'tsa'): Buffer {
    const signed = this.copy(this.sign(input));
    const extracted = this.pki.file(`sig-${++this.count}.der`);
    this.osslsigncode(['extract-signature', '-in', signed, '-out', extracted]);
    const info = AsnConvert.parse(readFileSync(extracted), ContentInfo);
    const signedData = AsnConvert.parse(info.content, SignedData);
    const signer = signedData.signerInfos[0]!;
    const value = this.pki.file(`sigvalue-${this.count}.bin`);
    writeFileSync(value, Buffer.from(signer.signature.buffer));
    const cms = this.pki.openssl([
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-nosmimecap',
      '-md',
      'sha256',
      '-in',
      value,
      '-signer',
      `${countersigner}.pem`,
      '-inkey',
      `${countersigner}.key`,
      '-outform',
      'DER',
    ]);
    const counter = firstSignerInfoDer(cms);
    signer.unsignedAttrs = [
      ...(signer.unsignedAttrs ?? []),
      new Attribute({ attrType: COUNTERSIGNATURE_OID, attrValues: [toArrayBuffer(counter)] }),
    ];
    const tsa = AsnConvert.parse(this.pki.der(countersigner), Certificate);
    signedData.certificates?.push(new CertificateChoices({ certificate: tsa }));
    info.content = AsnConvert.serialize(signedData);
    const rebuilt = this.pki.file(`sig-${this.count}-countersigned.der`);
    writeFileSync(rebuilt, Buffer.from(AsnConvert.serialize(info)));
    const unsigned = this.copy(input);
    const out = this.pki.file(`signed-${++this.count}.exe`);
    this.osslsigncode([
      'attach-signature',
      '-CAfile',
      'root.pem',
      '-TSA-CAfile',
      'root.pem',
      '-sigin',
      rebuilt,
      '-in',
      unsigned,
      '-out',
      out,
    ]);
    return readFileSync(out);
  }

  /**
   * For benchmarks: 7za.exe grown to about `bytes` with an overlay (data after the sections,
   * as self-extracting installers carry), then signed. Returns the path of the signed file.
   */
  largeSignedPe(bytes: number, architecture: Architecture = 'x64'): string {
    const source = readFileSync(windowsBinary(architecture));
    const grown = this.pki.file(`large-${++this.count}.exe`);
    const overlay = Math.max(0, bytes - source.length);
    writeFileSync(grown, source);
    const block = Buffer.alloc(1 << 20, 0x5a);
    for (let written = 0; written < overlay; written += block.length) {
      appendFileSync(grown, block.subarray(0, Math.min(block.length, overlay - written)));
    }
    const out = this.pki.file(`large-signed-${this.count}.exe`);
    this.osslsigncode([
      'sign',
      '-certs',
      'leaf-chain.pem',
      '-key',
      'leaf.key',
      '-h',
      'sha256',
      '-in',
      grown,
      '-out',
      out,
    ]);
    rmSync(grown);
    return out;
  }

  remove(): void {
    this.pki.remove();
  }
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The raw DER of the first SignerInfo of a ContentInfo(SignedData). */
function firstSignerInfoDer(contentInfo: Buffer): Buffer {
  const parsed = asn1js.fromBER(new Uint8Array(contentInfo)).result as asn1js.Sequence;
  const explicit = parsed.valueBlock.value[1] as asn1js.Constructed;
  const signedData = explicit.valueBlock.value[0] as asn1js.Sequence;
  const signerInfos = signedData.valueBlock.value.at(-1) as asn1js.Set;
  return Buffer.from(signerInfos.valueBlock.value[0]!.valueBeforeDecodeView);
}

/** Feeds `bytes` to a PE hasher in chunks of the given sizes (cycled), as an upload would. */
export function scanPe(bytes: Buffer, chunkSizes: number[] = [64 * 1024]): PeScan {
  const hasher = createPeHasher();
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = Math.max(1, chunkSizes[i % chunkSizes.length]!);
    hasher.update(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return hasher.finish(bytes.length);
}

/** Scans and verifies `bytes`, offering the bytes themselves as the second pass. */
export async function verifyPe(
  bytes: Buffer,
  options: { trustAnchors: string[]; now: Date; reread?: boolean },
): Promise<AuthenticodeReport> {
  const scan = scanPe(bytes);
  if (scan.kind !== 'signed') throw new Error(`expected a signed PE, got ${scan.kind}`);
  const reread =
    options.reread === false
      ? undefined
      : async function* () {
          for (let offset = 0; offset < bytes.length; offset += 100_000) {
            yield bytes.subarray(offset, offset + 100_000);
          }
        };
  return verifyAuthenticode(scan.image(reread), options);
}

/** The header layout of a complete PE file in memory. */
export function layoutOf(bytes: Buffer): PeLayout {
  const parsed = parsePeHeaders(bytes, true);
  if (parsed.kind !== 'layout') throw new Error(`not a PE layout: ${parsed.kind}`);
  return parsed.layout;
}
