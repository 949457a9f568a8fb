import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A code-signing PKI made with the openssl command line during the test, the way a release
 * engineer would: root CA, leaf with the codeSigning EKU, an expired leaf, an unrelated root.
 */
export class OpensslPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'cabinet-sig-'));

  run(...args: string[]): Buffer {
    return execFileSync('openssl', args, { cwd: this.dir, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  root(name: string): void {
    this.run(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '3650',
      '-subj',
      `/CN=${name} Root CA`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  }

  leaf(name: string, issuer: string, keyArgs: string[], days: number, eku = 'codeSigning'): void {
    this.run(
      'req',
      '-new',
      '-newkey',
      ...keyArgs,
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}/O=Acme Software`,
    );
    writeFileSync(
      this.file(`${name}.ext`),
      `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${eku}\n`,
    );
    this.run(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${issuer}.pem`,
      '-CAkey',
      `${issuer}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      String(days),
      '-extfile',
      `${name}.ext`,
    );
  }

  /** Signs the artifact digest (64 lowercase hex characters), as the convention says. */
  sign(key: string, digestHex: string, ed25519 = false): string {
    writeFileSync(this.file('digest.txt'), digestHex);
    const signature = ed25519
      ? this.run('pkeyutl', '-sign', '-rawin', '-inkey', `${key}.key`, '-in', 'digest.txt')
      : this.run('dgst', '-sha256', '-sign', `${key}.key`, 'digest.txt');
    return signature.toString('base64');
  }

  pem(name: string): string {
    return readFileSync(this.file(`${name}.pem`), 'utf8');
  }
}
