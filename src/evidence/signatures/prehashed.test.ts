import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signingKey } from './key-algorithms.js';
import { canVerifyDigest, type DigestSigningKey, verifyDigest } from './prehashed.js';

const message = Buffer.from('the artifact bytes');
const digest = createHash('sha256').update(message).digest();

function digestKey(type: 'rsa' | 'ec'): {
  signer: DigestSigningKey;
  privateKey: ReturnType<typeof generateKeyPairSync>['privateKey'];
} {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const signer = signingKey(pair.publicKey);
  if (!signer || !canVerifyDigest(signer)) throw new Error('unexpected key');
  return { signer, privateKey: pair.privateKey };
}

describe('why a hand-written digest verification exists', () => {
  it('node:crypto.verify(null, digest, ecKey, sig) hashes the digest again instead of using it', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const signature = sign('sha256', message, privateKey);
    expect(verify('sha256', message, publicKey, signature)).toBe(true);
    expect(verify(null, digest, publicKey, signature)).toBe(false);
    expect(verify(null, message, publicKey, signature)).toBe(true); // null = SHA-256 of the input
  });
});

describe('verifyDigest', () => {
  it('verifies ECDSA P-256 over the SHA-256 digest alone', () => {
    const { signer, privateKey } = digestKey('ec');
    expect(verifyDigest(signer, digest, sign('sha256', message, privateKey))).toBe(
      'ECDSA-P256-SHA256',
    );
  });

  it('verifies RSA PKCS#1 v1.5 over the SHA-256 digest alone', () => {
    const { signer, privateKey } = digestKey('rsa');
    const signature = sign('sha256', message, privateKey);
    expect(verifyDigest(signer, digest, signature)).toBe('RSASSA-PKCS1-v1_5-SHA256');
    expect(verifyDigest(signer, Buffer.alloc(32), signature)).toBeUndefined();
  });

  it('refuses an RSA signature with bad padding or another hash', () => {
    const { signer, privateKey } = digestKey('rsa');
    expect(verifyDigest(signer, digest, Buffer.from('garbage'))).toBeUndefined();
    expect(verifyDigest(signer, digest, sign('sha384', message, privateKey))).toBeUndefined();
  });

  it('knows which keys can be checked from a digest', () => {
    const types = ['rsa', 'rsa-pss', 'ed25519'] as const;
    const verdicts = types.map((type) => {
      const { publicKey } = generateKeyPairSync(type as 'rsa', { modulusLength: 1024 });
      return canVerifyDigest(signingKey(publicKey)!);
    });
    expect(verdicts).toEqual([true, false, false]);
  });
});
