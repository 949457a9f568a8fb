/**
 * Test support only (imported by the *.test.ts files beside it): builds a throw-away PKI with
 * the `openssl` command line in a temp directory, the way a release engineer would, so the
 * tests exercise real openssl output rather than certificates shaped by the code under test.
 * OpenSSL 3.0 has no `-not_before`/`-not_after`, so validity is set with `-days` and the
 * tests move the verification instant instead.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type KeyType = 'rsa' | 'rsapss' | 'ec256' | 'ec384' | 'ec521' | 'ed25519' | 'ed448';

const KEY_ARGS: Record<KeyType, string[]> = {
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsapss: ['-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048'],
  ec256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  ec384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  ec521: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  ed25519: ['-algorithm', 'ED25519'],
  ed448: ['-algorithm', 'ED448'],
};

export const CODE_SIGNING_EXTENSIONS = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=codeSigning',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
];

export function caExtensions(pathLength?: number): string[] {
  const constraint = pathLength === undefined ? '' : `,pathlen:${pathLength}`;
  return [
    `basicConstraints=critical,CA:TRUE${constraint}`,
    'keyUsage=critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
  ];
}

export interface IssueOptions {
  subject: string;
  keyType: KeyType;
  /** Name of the issuing certificate; omitted = self-signed. */
  issuer?: string;
  days?: number;
  extensions: string[];
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'cabinet-pki-'));
  private serial = 0x1000;

  openssl(args: string[], input?: Buffer | string): Buffer {
    return execFileSync('openssl', args, { cwd: this.dir, input, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  key(name: string, type: KeyType): void {
    this.openssl(['genpkey', ...KEY_ARGS[type], '-out', `${name}.key`]);
  }

  /** Creates `<name>.key` and `<name>.pem`. */
  issue(name: string, options: IssueOptions): string {
    this.key(name, options.keyType);
    writeFileSync(this.file(`${name}.ext`), `${options.extensions.join('\n')}\n`);
    this.openssl([
      'req',
      '-new',
      '-key',
      `${name}.key`,
      '-subj',
      options.subject,
      '-out',
      `${name}.csr`,
    ]);
    const issuer = options.issuer ?? name;
    const signer =
      options.issuer === undefined
        ? ['-signkey', `${name}.key`]
        : ['-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`];
    this.serial += 1;
    this.openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      ...signer,
      '-set_serial',
      `0x${this.serial.toString(16)}`,
      '-days',
      String(options.days ?? 3650),
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    ]);
    return this.pem(name);
  }

  pem(name: string): string {
    return readFileSync(this.file(`${name}.pem`), 'utf8');
  }

  der(name: string): Buffer {
    return this.openssl(['x509', '-in', `${name}.pem`, '-outform', 'DER']);
  }

  /** `printf %s "$digest" | openssl dgst -sha256 -sign key.pem` (plus extra options). */
  dgstSign(keyName: string, message: Buffer | string, options: string[] = ['-sha256']): Buffer {
    return this.openssl(['dgst', ...options, '-sign', `${keyName}.key`], message);
  }

  /** `openssl pkeyutl -sign -rawin -inkey key.pem -in message` (Ed25519: pure EdDSA). */
  rawSign(keyName: string, message: Buffer | string): Buffer {
    writeFileSync(this.file('message.bin'), message);
    return this.openssl([
      'pkeyutl',
      '-sign',
      '-rawin',
      '-inkey',
      `${keyName}.key`,
      '-in',
      'message.bin',
    ]);
  }

  /** `openssl pkeyutl -sign -inkey key.pem -in digest.bin`: signs a precomputed digest. */
  digestSign(keyName: string, digest: Buffer, options: string[] = []): Buffer {
    writeFileSync(this.file('digest.bin'), digest);
    return this.openssl([
      'pkeyutl',
      '-sign',
      '-inkey',
      `${keyName}.key`,
      '-in',
      'digest.bin',
      ...options,
    ]);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const LEAF = (name: string) => `/CN=Acme Code Signing (${name})/O=Acme Corp`;

/**
 * The PKI every signature test uses. Names: `root` → `int` (pathlen 0) → the `leaf-*`
 * certificates; `other-root` → `other-leaf` is unrelated; see the comments for the odd ones.
 */
export function buildStandardPki(): TestPki {
  const pki = new TestPki();
  pki.issue('root', {
    subject: '/CN=Cabinet Test Root CA/O=Cabinet Tests',
    keyType: 'ec256',
    extensions: caExtensions(),
  });
  pki.issue('int', {
    subject: '/CN=Cabinet Test Issuing CA/O=Cabinet Tests',
    keyType: 'ec256',
    issuer: 'root',
    extensions: caExtensions(0),
  });
  for (const keyType of ['rsa', 'rsapss', 'ec256', 'ec384', 'ed25519', 'ec521', 'ed448'] as const) {
    pki.issue(`leaf-${keyType}`, {
      subject: LEAF(keyType),
      keyType,
      issuer: 'int',
      extensions: CODE_SIGNING_EXTENSIONS,
    });
  }
  // Issued straight by the root, for single-certificate bundles trusted through the root.
  pki.issue('leaf-by-root', {
    subject: LEAF('by root'),
    keyType: 'ec256',
    issuer: 'root',
    extensions: CODE_SIGNING_EXTENSIONS,
  });
  // Outlive their issuers: with `at` 20 years ahead only the issuer has expired.
  pki.issue('leaf-long', {
    subject: LEAF('long'),
    keyType: 'ec256',
    issuer: 'int',
    days: 36_500,
    extensions: CODE_SIGNING_EXTENSIONS,
  });
  pki.issue('leaf-by-root-long', {
    subject: LEAF('by root, long'),
    keyType: 'ec256',
    issuer: 'root',
    days: 36_500,
    extensions: CODE_SIGNING_EXTENSIONS,
  });
  pki.issue('leaf-expiring', {
    subject: LEAF('one day'),
    keyType: 'ec256',
    issuer: 'int',
    days: 1,
    extensions: CODE_SIGNING_EXTENSIONS,
  });
  const noEku = CODE_SIGNING_EXTENSIONS.filter((line) => !line.startsWith('extendedKeyUsage'));
  pki.issue('leaf-no-eku', {
    subject: LEAF('no EKU'),
    keyType: 'ec256',
    issuer: 'int',
    extensions: noEku,
  });
  pki.issue('leaf-server-auth', {
    subject: LEAF('TLS'),
    keyType: 'ec256',
    issuer: 'int',
    extensions: [...noEku, 'extendedKeyUsage=serverAuth'],
  });
  const noDigitalSignature = CODE_SIGNING_EXTENSIONS.map((line) =>
    line.startsWith('keyUsage') ? 'keyUsage=critical,keyAgreement' : line,
  );
  pki.issue('leaf-no-digital-signature', {
    subject: LEAF('key agreement'),
    keyType: 'ec256',
    issuer: 'int',
    extensions: noDigitalSignature,
  });
  const noKeyUsage = CODE_SIGNING_EXTENSIONS.filter((line) => !line.startsWith('keyUsage'));
  pki.issue('leaf-no-key-usage', {
    subject: LEAF('no keyUsage'),
    keyType: 'ec256',
    issuer: 'int',
    extensions: noKeyUsage,
  });
  // Embeds an (empty) SCT list extension, as every Fulcio certificate does.
  pki.issue('leaf-sct', {
    subject: LEAF('SCT'),
    keyType: 'ec256',
    issuer: 'int',
    extensions: [...CODE_SIGNING_EXTENSIONS, '1.3.6.1.4.1.11129.2.4.2=DER:04:02:00:00'],
  });
  pki.issue('other-root', {
    subject: '/CN=Unrelated Root CA/O=Elsewhere',
    keyType: 'ec256',
    extensions: caExtensions(),
  });
  pki.issue('other-leaf', {
    subject: LEAF('unrelated'),
    keyType: 'ec256',
    issuer: 'other-root',
    extensions: CODE_SIGNING_EXTENSIONS,
  });
  // Not a CA, yet used to issue a leaf.
  pki.issue('not-ca', {
    subject: '/CN=Not A CA/O=Cabinet Tests',
    keyType: 'ec256',
    issuer: 'root',
    extensions: ['basicConstraints=critical,CA:FALSE'],
  });
  pki.issue('leaf-under-not-ca', {
    subject: LEAF('under a non-CA'),
    keyType: 'ec256',
    issuer: 'not-ca',
    extensions: CODE_SIGNING_EXTENSIONS,
  });
  // `int` allows no CA below it; `sub-int` is one anyway.
  pki.issue('sub-int', {
    subject: '/CN=Cabinet Test Sub CA/O=Cabinet Tests',
    keyType: 'ec256',
    issuer: 'int',
    extensions: caExtensions(),
  });
  pki.issue('leaf-too-deep', {
    subject: LEAF('too deep'),
    keyType: 'ec256',
    issuer: 'sub-int',
    extensions: CODE_SIGNING_EXTENSIONS,
  });
  return pki;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export const DAY_MS = 86_400_000;
