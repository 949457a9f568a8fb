import { constants, type KeyObject, verify } from 'node:crypto';
import type { ParsedCertificate } from './certificate.js';
import type { CurveName } from './ecdsa.js';
import { signatureFailure } from './failures.js';

/** OpenSSL curve names → the NIST names cabinet reports. Other curves are not accepted. */
const NIST_CURVES: Readonly<Record<string, CurveName>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
};

export type SigningKey =
  | { type: 'rsa'; key: KeyObject }
  | { type: 'rsa-pss'; key: KeyObject }
  | { type: 'ec'; key: KeyObject; curve: CurveName }
  | { type: 'ed25519'; key: KeyObject };

/** Classifies a certificate key; undefined for key types cabinet does not accept (DSA, Ed448, P-521, …). */
export function signingKey(key: KeyObject): SigningKey | undefined {
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
    case 'ed25519':
      return { type: key.asymmetricKeyType, key };
    case 'ec': {
      const curve = NIST_CURVES[String(key.asymmetricKeyDetails?.namedCurve)];
      return curve ? { type: 'ec', key, curve } : undefined;
    }
    default:
      return undefined;
  }
}

/** The leaf's key, or `unsupported_algorithm` naming the key type (`ed448`, `ec secp521r1`, …). */
export function leafSigningKey(leaf: ParsedCertificate, path: string): SigningKey {
  const signer = signingKey(leaf.publicKey);
  if (signer) return signer;
  const curve = leaf.publicKey.asymmetricKeyDetails?.namedCurve;
  const keyType = [leaf.publicKey.asymmetricKeyType, curve].filter(Boolean).join(' ');
  throw signatureFailure(
    'unsupported_algorithm',
    `The signing certificate ${leaf.subject} has an ${keyType} key; cabinet accepts RSA, ` +
      'ECDSA P-256/P-384 and Ed25519.',
    path,
  );
}

interface Candidate {
  name: string;
  hash: string | null;
  padding?: number;
}

function candidates(signer: SigningKey): Candidate[] {
  switch (signer.type) {
    case 'rsa':
      // An rsaEncryption key may sign with either padding; PKCS#1 v1.5 is openssl's default.
      return [
        { name: 'RSASSA-PKCS1-v1_5-SHA256', hash: 'sha256', padding: constants.RSA_PKCS1_PADDING },
        { name: 'RSASSA-PSS-SHA256', hash: 'sha256', padding: constants.RSA_PKCS1_PSS_PADDING },
      ];
    case 'rsa-pss':
      return [
        { name: 'RSASSA-PSS-SHA256', hash: 'sha256', padding: constants.RSA_PKCS1_PSS_PADDING },
      ];
    case 'ec': {
      // `openssl dgst -sha256` and `-sha384` are both common with either curve.
      const size = signer.curve.slice(2);
      return [
        { name: `ECDSA-P${size}-SHA256`, hash: 'sha256' },
        { name: `ECDSA-P${size}-SHA384`, hash: 'sha384' },
      ];
    }
    case 'ed25519':
      return [{ name: 'Ed25519', hash: null }];
  }
}

/** The scheme Node applies when no padding or hash is named: what @sigstore/verify uses. */
export function firstScheme(signer: SigningKey): string {
  return candidates(signer)[0]!.name;
}

/**
 * Verifies `signature` over `message` with every scheme the key type allows and returns the
 * name of the one that matched, or undefined. Trying several schemes is safe: each is a
 * sound signature scheme on its own, and a forger would have to break one of them.
 */
export function verifyMessage(
  signer: SigningKey,
  message: Uint8Array,
  signature: Uint8Array,
): string | undefined {
  for (const candidate of candidates(signer)) {
    const key =
      candidate.padding === undefined
        ? signer.key
        : {
            key: signer.key,
            padding: candidate.padding,
            // PSS signers pick different salt lengths (openssl: digest length or max).
            saltLength: constants.RSA_PSS_SALTLEN_AUTO,
          };
    if (verify(candidate.hash, message, key, signature)) return candidate.name;
  }
  return undefined;
}
