// @peculiar/x509 needs reflect-metadata loaded first (see src/evidence/signatures/certificate.ts).
import 'reflect-metadata';
import { KeyObject, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * A throw-away code-signing PKI for the demo, made in process: a P-256 root CA and a leaf
 * with the codeSigning EKU, the shape README.md's openssl commands produce. Signatures follow
 * the convention: ECDSA/SHA-256 (DER) over the 64 lowercase hex characters of the digest.
 */
export interface DemoPki {
  rootPem: string;
  leafPem: string;
  signDigest(digestHex: string): string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function createDemoPki(now: Date): Promise<DemoPki> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);
  const crypto = webcrypto;
  const notBefore = new Date(now.getTime() - 86_400_000);
  const notAfter = new Date(now.getTime() + 365 * 86_400_000);
  const rootKeys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Cabinet Demo Root CA, O=Example Org',
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    keys: rootKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const leafKeys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=Cabinet Demo Code Signing, O=Example Org',
    issuer: root.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    publicKey: leafKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const leafKey = KeyObject.from(leafKeys.privateKey as unknown as webcrypto.CryptoKey);
  return {
    rootPem: root.toString('pem'),
    leafPem: leaf.toString('pem'),
    signDigest: (digestHex) => sign('sha256', Buffer.from(digestHex), leafKey).toString('base64'),
  };
}
