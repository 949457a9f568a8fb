import { constants, publicDecrypt, timingSafeEqual } from 'node:crypto';
import { verifyEcdsaDigest } from './ecdsa.js';
import type { SigningKey } from './key-algorithms.js';

/** DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * Which keys can be checked from a SHA-256 digest without the message. ECDSA and RSA
 * PKCS#1 v1.5 sign H(m) and so can. Ed25519 (pure EdDSA) hashes the whole message together
 * with the key and a nonce inside the algorithm, so no digest can stand in for the
 * message. RSA-PSS keys are refused to keep the digest path small: Sigstore clients sign
 * with ECDSA, and a key whose type is RSA-PSS is rare.
 */
export type DigestSigningKey = Extract<SigningKey, { type: 'rsa' | 'ec' }>;

export function canVerifyDigest(signer: SigningKey): signer is DigestSigningKey {
  return signer.type === 'rsa' || signer.type === 'ec';
}

/**
 * Verifies a signature made over a message whose SHA-256 is `digest`, without the message.
 * Returns the scheme name, or undefined when it does not verify.
 */
export function verifyDigest(
  signer: DigestSigningKey,
  digest: Uint8Array,
  signature: Uint8Array,
): string | undefined {
  if (signer.type === 'ec') {
    const jwk = signer.key.export({ format: 'jwk' });
    const point = {
      x: Buffer.from(String(jwk.x), 'base64url'),
      y: Buffer.from(String(jwk.y), 'base64url'),
    };
    const ok = verifyEcdsaDigest(signer.curve, point, digest, signature);
    return ok ? `ECDSA-P${signer.curve.slice(2)}-SHA256` : undefined;
  }
  // RSA "public decrypt" undoes the signature and checks the PKCS#1 v1.5 type-1 padding; what
  // is left must be exactly DigestInfo(SHA-256, digest).
  const expected = Buffer.concat([SHA256_DIGEST_INFO, digest]);
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key: signer.key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return undefined; // bad padding or a signature longer than the modulus
  }
  const ok = recovered.length === expected.length && timingSafeEqual(recovered, expected);
  return ok ? 'RSASSA-PKCS1-v1_5-SHA256' : undefined;
}
